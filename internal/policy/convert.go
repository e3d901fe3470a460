package policy

import (
	"hash/maphash"
	"slices"
	"strconv"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// converter builds the AST of the objects of policy inputs directly from
// their maps, as ast.InterfaceToValue would, but with far fewer
// allocations:
//
//   - every string becomes one shared term (keys, and values such as
//     "Always", "RuntimeDefault" or a tenant's namespace, repeat endlessly);
//   - equal small objects and arrays become one shared term (hash-consing):
//     a tenant's objects repeat the same labels, selectors, security
//     contexts, probes and resource blocks, and tenants rendered from the
//     same tier repeat each other's.
//
// Terms are allocated one by one: allocating them in blocks was faster,
// but a block stays alive while any of its terms does, and shared terms
// kept blocks, and what their other terms held, alive from tenant to
// tenant (a 1,000-tenant render's live heap doubled).
//
// AST values are immutable once built and OPA reads them from concurrent
// evaluations, so sharing them is safe. A converter is used by one
// goroutine at a time; the engine pools them, so sharing spans tenants.
type converter struct {
	strs  map[string]hashed
	canon map[uint64][]*ast.Term
	// shared counts the composite terms in canon, to bound it.
	shared int
	uniq   uint64
	items  [][2]*ast.Term // scratch stack of object items
	elems  []*ast.Term    // scratch stack of array elements
}

// hashed is a term with its structural hash and its size in nodes.
type hashed struct {
	t *ast.Term
	h uint64
	n int
}

// canonLimit bounds the strings and composites a converter keeps for
// sharing; beyond it, it starts afresh.
const canonLimit = 1 << 12

// maxShared is the number of items, and maxSharedNodes the number of
// nodes, beyond which objects and arrays are not shared: large values are
// rarely repeated (they hold a tenant's names), and keeping them for
// sharing would keep whole tenants' inputs alive.
const (
	maxShared      = 16
	maxSharedNodes = 32
)

func newConverter() *converter {
	return &converter{strs: make(map[string]hashed, 1024), canon: make(map[uint64][]*ast.Term, 1024)}
}

var converters = sync.Pool{New: func() any { return newConverter() }}

func getConverter() *converter { return converters.Get().(*converter) }

func putConverter(c *converter) {
	if len(c.strs) > canonLimit || c.shared > canonLimit {
		clear(c.strs)
		clear(c.canon)
		c.shared = 0
	}
	converters.Put(c)
}

var seed = maphash.MakeSeed()

// mix is the splitmix64 finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Seeds of the hashes of the kinds of values.
const (
	hashNull  = 0x6e756c6c
	hashTrue  = 0x74727565
	hashFalse = 0x66616c73
	hashInt   = 0x696e7400
	hashArray = 0x61727279
	hashObj   = 0x6f626a65
)

func (c *converter) term(v ast.Value) *ast.Term { return &ast.Term{Value: v} }

func (c *converter) str(s string) hashed {
	if h, ok := c.strs[s]; ok {
		return h
	}
	h := hashed{c.term(ast.String(s)), maphash.String(seed, s), 1}
	c.strs[s] = h
	return h
}

// unique is a term that is shared with nothing: its hash is its own.
func (c *converter) unique(v ast.Value, n int) hashed {
	c.uniq++
	return hashed{&ast.Term{Value: v}, mix(c.uniq ^ 0x756e6971), n}
}

func (c *converter) objects(objs []map[string]any) (*ast.Term, error) {
	terms := make([]*ast.Term, len(objs))
	for i, o := range objs {
		t, err := c.object(o)
		if err != nil {
			return nil, err
		}
		terms[i] = t.t
	}
	return ast.ArrayTerm(terms...), nil
}

// value converts the kinds of values decoded YAML or JSON and Go-built
// Kubernetes objects hold; anything else goes through its JSON encoding,
// as ast.InterfaceToValue does.
func (c *converter) value(x any) (hashed, error) {
	switch x := x.(type) {
	case nil:
		return hashed{ast.InternedNullTerm, hashNull, 1}, nil
	case string:
		return c.str(x), nil
	case bool:
		if x {
			return hashed{ast.InternedTerm(true), hashTrue, 1}, nil
		}
		return hashed{ast.InternedTerm(false), hashFalse, 1}, nil
	case int:
		return c.integer(int64(x)), nil
	case int64:
		return c.integer(x), nil
	case map[string]any:
		return c.object(x)
	case []any:
		start := len(c.elems)
		h, n := uint64(hashArray), 1
		for _, e := range x {
			t, err := c.value(e)
			if err != nil {
				c.elems = c.elems[:start]
				return hashed{}, err
			}
			c.elems = append(c.elems, t.t)
			h = mix(h ^ t.h)
			n += t.n
		}
		t := c.array(c.elems[start:], h, n)
		c.elems = c.elems[:start]
		return t, nil
	case []string:
		start := len(c.elems)
		h := uint64(hashArray)
		for _, e := range x {
			t := c.str(e)
			c.elems = append(c.elems, t.t)
			h = mix(h ^ t.h)
		}
		t := c.array(c.elems[start:], h, 1+len(x))
		c.elems = c.elems[:start]
		return t, nil
	case map[string]string:
		start := len(c.items)
		h := uint64(hashObj)
		for k, v := range x {
			kt, vt := c.str(k), c.str(v)
			c.items = append(c.items, [2]*ast.Term{kt.t, vt.t})
			h += mix(kt.h*31 + vt.h)
		}
		t := c.composite(c.items[start:], h, 1+2*len(x))
		c.items = c.items[:start]
		return t, nil
	}
	v, err := ast.InterfaceToValue(x)
	if err != nil {
		return hashed{}, err
	}
	return c.unique(v, maxSharedNodes+1), nil
}

func (c *converter) integer(i int64) hashed {
	if i >= -1 && i < 512 { // OPA interns these
		return hashed{ast.InternedTerm(int(i)), mix(uint64(i) ^ hashInt), 1}
	}
	return c.unique(ast.Number(strconv.FormatInt(i, 10)), 1)
}

func (c *converter) object(m map[string]any) (hashed, error) {
	start := len(c.items)
	h, n := uint64(hashObj), 1
	for k, v := range m {
		kt := c.str(k)
		vt, err := c.value(v)
		if err != nil {
			c.items = c.items[:start]
			return hashed{}, err
		}
		c.items = append(c.items, [2]*ast.Term{kt.t, vt.t})
		// Order-independent: map iteration order varies.
		h += mix(kt.h*31 + vt.h)
		n += 1 + vt.n
	}
	t := c.composite(c.items[start:], h, n)
	c.items = c.items[:start]
	return t, nil
}

// composite is the object of items, of n nodes: the canonical one when it
// is small enough to be shared.
func (c *converter) composite(items [][2]*ast.Term, h uint64, n int) hashed {
	if len(items) > maxShared || n > maxSharedNodes {
		return c.unique(ast.NewObject(items...), n)
	}
	for _, t := range c.canon[h] {
		if o, ok := t.Value.(ast.Object); ok && o.Len() == len(items) && sameItems(o, items) {
			return hashed{t, h, n}
		}
	}
	t := c.term(ast.NewObject(items...))
	c.canon[h] = append(c.canon[h], t)
	c.shared++
	return hashed{t, h, n}
}

// sameItems: o holds exactly the items (o has as many as there are),
// the very same terms.
func sameItems(o ast.Object, items [][2]*ast.Term) bool {
	for _, kv := range items {
		if o.Get(kv[0]) != kv[1] {
			return false
		}
	}
	return true
}

// array is the array of elems, of n nodes: the canonical one when it is
// small enough to be shared.
func (c *converter) array(elems []*ast.Term, h uint64, n int) hashed {
	if len(elems) > maxShared || n > maxSharedNodes {
		return c.unique(ast.NewArray(slices.Clone(elems)...), n)
	}
	for _, t := range c.canon[h] {
		if a, ok := t.Value.(*ast.Array); ok && a.Len() == len(elems) && sameElems(a, elems) {
			return hashed{t, h, n}
		}
	}
	t := c.term(ast.NewArray(slices.Clone(elems)...))
	c.canon[h] = append(c.canon[h], t)
	c.shared++
	return hashed{t, h, n}
}

func sameElems(a *ast.Array, elems []*ast.Term) bool {
	for i, t := range elems {
		if a.Elem(i) != t {
			return false
		}
	}
	return true
}
