package estate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"

	"github.com/palisade-gitops/palisade/schema"
)

// PackageName is the CUE package every estate file belongs to.
const PackageName = "estate"

// schemaPrefix names the embedded schema's files in positions.
const schemaPrefix = "schema/"

// Directories of an estate that hold one kind of definition each.
const (
	TiersDir   = "tiers"
	TenantsDir = "tenants"
)

// Load reads the estate at root — its top-level *.cue files (the platform),
// tiers/*.cue and tenants/*.cue — unifies it with the embedded schema,
// validates it and returns the typed model. Problems with the input are
// returned as an *InputError listing every one found with its position;
// positions are relative to root.
func Load(root string) (*Estate, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("estate root %q: %w", root, unwrapPathError(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("estate root %q is not a directory", root)
	}
	return LoadFS(os.DirFS(root), root)
}

// LoadFS is Load reading the estate's files (CUE files and the key files
// they name) from fsys, whose root is the estate's; root is where the
// estate is on disk, for what is read from there later (mirrors). A
// pull-request check loads revisions straight from git this way, without
// writing a thousand tenant files to disk first.
func LoadFS(fsys fs.FS, root string) (*Estate, error) {
	files, err := collect(fsys, root)
	if err != nil {
		return nil, err
	}
	return loadFiles(fsys, root, files)
}

// loadFiles is LoadFS with the estate's files read.
func loadFiles(fsys fs.FS, root string, files []sourceFile) (*Estate, error) {
	var ds diagnostics
	parsed := parseFiles(root, files, &ds)
	if err := ds.err(); err != nil {
		return nil, err
	}
	return build1(fsys, root, files, parsed)
}

// sourceFile is one estate file, read.
type sourceFile struct {
	rel  string // relative to the root, forward slashes
	data []byte
}

// collect lists the estate's files. Only .cue files belong in tiers/ and
// tenants/; anything else there (except hidden files such as .gitkeep) is an
// error, so a misnamed tenant file is never silently ignored.
func collect(fsys fs.FS, root string) ([]sourceFile, error) {
	var ds diagnostics
	var out []sourceFile
	read := func(rel string) {
		data, err := fs.ReadFile(fsys, rel)
		if err != nil {
			ds.add(Position{File: rel}, "", "cannot read file: %v", unwrapPathError(err))
			return
		}
		out = append(out, sourceFile{rel: rel, data: data})
	}
	top, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("estate root %q: %w", root, unwrapPathError(err))
	}
	for _, e := range top {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".cue") {
			read(e.Name())
		}
	}
	for _, dir := range []string{TiersDir, TenantsDir} {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				ds.add(Position{File: dir + "/"}, "", "missing directory: an estate has %s/ and %s/ beside its platform file", TiersDir, TenantsDir)
			} else {
				ds.add(Position{File: dir + "/"}, "", "cannot read directory: %v", unwrapPathError(err))
			}
			continue
		}
		for _, e := range entries {
			rel := dir + "/" + e.Name()
			switch {
			case strings.HasPrefix(e.Name(), "."):
				continue
			case e.IsDir():
				ds.add(Position{File: rel + "/"}, "", "unexpected directory: %s/ holds only .cue files, one per %s", dir, singular(dir))
			case !strings.HasSuffix(e.Name(), ".cue"):
				ds.add(Position{File: rel}, "", "not a CUE file: %s/ holds only .cue files, one per %s", dir, singular(dir))
			default:
				read(rel)
			}
		}
	}
	if err := ds.err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out, nil
}

func singular(dir string) string { return strings.TrimSuffix(dir, "s") }

// unwrapPathError drops the absolute path from an fs error: the diagnostic
// already names the file relative to the root.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseFiles parses the schema and the estate's files. Every estate file must
// belong to package estate (or declare none).
func parseFiles(root string, files []sourceFile, ds *diagnostics) []*ast.File {
	var out []*ast.File
	entries, err := fs.ReadDir(schema.FS, ".")
	if err != nil {
		panic(err) // the embedded schema is part of the binary
	}
	for _, e := range entries {
		data, err := fs.ReadFile(schema.FS, e.Name())
		if err != nil {
			panic(err)
		}
		f, err := parser.ParseFile(schemaPrefix+e.Name(), data, parser.ParseComments)
		if err != nil {
			panic(fmt.Sprintf("embedded schema: %v", err))
		}
		out = append(out, f)
	}
	for _, sf := range files {
		f, err := parser.ParseFile(sf.rel, sf.data, parser.ParseComments)
		if err != nil {
			// The parser's later errors are mostly the fallout of its
			// first (an unclosed brace reported again at EOF).
			ds.addCUE(cueerrors.Errors(err)[0])
			continue
		}
		if name := f.PackageName(); name != "" && name != PackageName {
			pos := Position{File: sf.rel, Line: 1, Column: 1}
			for _, d := range f.Decls {
				if p, ok := d.(*ast.Package); ok {
					pos = positionOf(p.Name.Pos())
				}
			}
			ds.add(pos, "", "package is %q, want %q: every estate file belongs to package %s", name, PackageName, PackageName)
			continue
		}
		out = append(out, f)
	}
	return out
}

// build1 unifies the schema and the estate, validates, decodes and checks.
func build1(fsys fs.FS, root string, files []sourceFile, parsed []*ast.File) (*Estate, error) {
	e, err := evaluate(root, parsed)
	if err != nil {
		return nil, err
	}
	if err := checkAll(e, fsys); err != nil {
		return nil, err
	}
	e.record(files, parsed)
	return e, nil
}

// evaluate unifies the schema and the estate, validates and decodes.
func evaluate(root string, parsed []*ast.File) (*Estate, error) {
	e := &Estate{Root: root}
	for _, f := range parsed {
		if isSchemaFile(f.Filename) {
			continue
		}
		e.Files = append(e.Files, f.Filename)
		e.positions.index(f)
	}
	// CUE reports some errors (a bad map key, say) only at the schema
	// constraint; the index finds where the user wrote the path.
	ds := diagnostics{locate: func(path []string) Position { return e.Position(path...) }}
	inst := build.NewContext().NewInstance("", nil)
	inst.PkgName = PackageName
	for _, f := range parsed {
		if err := inst.AddSyntax(f); err != nil {
			ds.addCUE(err)
		}
	}
	if inst.Err != nil {
		ds.addCUE(inst.Err)
	}
	if err := ds.err(); err != nil {
		return nil, err
	}
	v := cuecontext.New().BuildInstance(inst)
	checkTopLevel(v, &ds)
	validateAll(v, &ds)
	if err := ds.err(); err != nil {
		return nil, err
	}
	data, err := v.MarshalJSON()
	if err != nil {
		ds.addCUE(err)
		return nil, ds.err()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(e); err != nil {
		// The schema closes every struct, so this is a bug in Palisade
		// (model and schema disagree), not an input error.
		return nil, fmt.Errorf("decoding estate: %w", err)
	}
	return e, nil
}

// checkAll runs the checks CUE cannot express (check).
func checkAll(e *Estate, fsys fs.FS) error {
	ds := diagnostics{locate: func(path []string) Position { return e.Position(path...) }}
	check(e, fsys, &ds)
	return ds.err()
}

// validateAll reports every CUE error in v. Validate stops reporting
// incomplete values (a missing required field) once it has found a
// conflict anywhere in the value it was given, so where a struct fails, its
// fields are validated one by one as well, down to the leaves.
func validateAll(v cue.Value, ds *diagnostics) {
	err := v.Validate(cue.Concrete(true), cue.Final())
	if err == nil {
		return
	}
	ds.addCUE(err)
	// (A struct holding an error reports the bottom kind, so the fields
	// are asked for whatever the kind.)
	it, ferr := v.Fields()
	if ferr != nil {
		return
	}
	for it.Next() {
		validateAll(it.Value(), ds)
	}
}

// topLevel are the regular fields an estate may define; definitions (#X),
// hidden fields (_x) and lets are the user's own business.
var topLevel = map[string]bool{"platform": true, "tiers": true, "tenants": true}

// checkTopLevel reports regular top-level fields the schema does not know,
// such as a misspelt "tenant:", which CUE would otherwise accept silently
// because a package's top level is open.
func checkTopLevel(v cue.Value, ds *diagnostics) {
	it, err := v.Fields()
	if err != nil {
		return
	}
	for it.Next() {
		name := it.Selector().String()
		if topLevel[name] {
			continue
		}
		ds.add(positionOf(it.Value().Pos()), name, "unknown top-level field %q: an estate defines platform, tiers and tenants", name)
	}
}

// Position returns where the value at the given path (CUE labels, such as
// "tenants", "acme", "tier") is written in the estate. When the path itself
// is not written (a default), the closest written ancestor is returned;
// but not "tenants" or "tiers" alone for a tenant or tier the estate does
// not have (a removed tenant): those are written in every tenant's and
// tier's file, and the first one found says nothing.
func (e *Estate) Position(labels ...string) Position {
	for n := len(labels); n > 0; n-- {
		if n == 1 && len(labels) > 1 && (labels[0] == "tenants" || labels[0] == "tiers") {
			break
		}
		if p, ok := e.positions.pos[PathOf(labels[:n]...)]; ok {
			return p
		}
	}
	return Position{}
}

// TenantNames returns the tenants' names, sorted.
func (e *Estate) TenantNames() []string {
	names := make([]string, 0, len(e.Tenants))
	for n := range e.Tenants {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UnknownTenant is the error for a tenant name given on the command line
// that the estate does not have: with the name it was most likely meant
// to be, and the first of the estate's.
func (e *Estate) UnknownTenant(name string) error {
	return fmt.Errorf("unknown tenant %q (%s)", name, known(name, e.Tenants))
}

// TierNames returns the tiers' names, sorted.
func (e *Estate) TierNames() []string {
	names := make([]string, 0, len(e.Tiers))
	for n := range e.Tiers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// positionIndex maps formatted CUE paths to where they are first written,
// and records which files declare each tenant and tier.
type positionIndex struct {
	pos   map[string]Position
	decls map[string][]string // "tenants"/"tiers" + name → files
}

func (x *positionIndex) index(f *ast.File) {
	if x.pos == nil {
		x.pos = map[string]Position{}
		x.decls = map[string][]string{}
	}
	x.decls2(f.Filename, nil, f.Decls)
}

func (x *positionIndex) decls2(file string, prefix []string, decls []ast.Decl) {
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.Field:
			name, _, err := ast.LabelName(d.Label)
			if err != nil || strings.HasPrefix(name, "#") || strings.HasPrefix(name, "_") {
				continue
			}
			p := append(prefix[:len(prefix):len(prefix)], name)
			key := PathOf(p...)
			if _, ok := x.pos[key]; !ok {
				// A scalar's position is its value's, so a diagnostic
				// about it points at what is wrong; a struct's is its label.
				pos := d.Label.Pos()
				switch d.Value.(type) {
				case *ast.StructLit, *ast.ListLit:
				default:
					pos = d.Value.Pos()
				}
				x.pos[key] = positionOf(pos)
			}
			if len(p) == 2 && (p[0] == TenantsDir || p[0] == TiersDir) {
				k := p[0] + "\x00" + p[1]
				if fs := x.decls[k]; len(fs) == 0 || fs[len(fs)-1] != file {
					x.decls[k] = append(x.decls[k], file)
				}
			}
			x.expr(file, p, d.Value)
		case *ast.EmbedDecl:
			x.expr(file, prefix, d.Expr)
		}
	}
}

func (x *positionIndex) expr(file string, prefix []string, e ast.Expr) {
	switch e := e.(type) {
	case *ast.StructLit:
		x.decls2(file, prefix, e.Elts)
	case *ast.ListLit:
		for i, el := range e.Elts {
			p := append(prefix[:len(prefix):len(prefix)], fmt.Sprint(i))
			key := PathOf(p...)
			if _, ok := x.pos[key]; !ok {
				x.pos[key] = positionOf(el.Pos())
			}
			x.expr(file, p, el)
		}
	case *ast.BinaryExpr:
		x.expr(file, prefix, e.X)
		x.expr(file, prefix, e.Y)
	case *ast.ParenExpr:
		x.expr(file, prefix, e.X)
	}
}

// declFiles returns the files that declare tenants.<name> or tiers.<name>.
func (e *Estate) declFiles(kind, name string) []string {
	return e.positions.decls[kind+"\x00"+name]
}
