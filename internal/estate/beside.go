package estate

import (
	"crypto/sha1"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// fileInfo is what a load records of one estate file, for LoadFSBeside.
type fileInfo struct {
	// blob is the file's git blob id: the SHA-1 of "blob <size>\x00" and
	// its bytes, as git names a file's contents.
	blob [sha1.Size]byte
	// tenant is the tenant a self-contained tenant file defines; empty
	// for any other file. at is where the file writes "tenants".
	tenant string
	at     Position
}

// blobID is data's git blob id.
func blobID(data []byte) [sha1.Size]byte {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	var id [sha1.Size]byte
	h.Sum(id[:0])
	return id
}

// GitBlob returns the git blob id (hex) of the estate file rel as it was
// loaded, and whether the estate has that file.
func (e *Estate) GitBlob(rel string) (string, bool) {
	fi, ok := e.files[rel]
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%x", fi.blob), true
}

// record notes, for LoadFSBeside, each file's blob id, which tenant files
// are self-contained, and whether any file reads the tenants as a whole.
func (e *Estate) record(files []sourceFile, parsed []*ast.File) {
	e.files = make(map[string]fileInfo, len(files))
	byName := make(map[string]*ast.File, len(parsed))
	for _, f := range parsed {
		byName[f.Filename] = f
		if isSchemaFile(f.Filename) && readsTenants(f.Decls) {
			e.entangled = true
		}
	}
	names := map[string]bool{}
	for _, sf := range files {
		fi := fileInfo{blob: blobID(sf.data)}
		f := byName[sf.rel]
		switch {
		case f == nil:
			e.entangled = true
		case isTenantFile(sf.rel):
			name, ok := selfContained(f)
			if !ok || names[name] {
				e.entangled = true
			}
			names[name] = true
			fi.tenant = name
			if ok {
				fi.at = positionOf(f.Decls[slices.IndexFunc(f.Decls, isField)].(*ast.Field).Label.Pos())
			}
		case readsTenants(f.Decls):
			e.entangled = true
		}
		e.files[sf.rel] = fi
	}
}

func isField(d ast.Decl) bool { _, ok := d.(*ast.Field); return ok }

func isTenantFile(rel string) bool { return strings.HasPrefix(rel, TenantsDir+"/") }

// selfContained returns the tenant a tenant file defines when the file is
// nothing but `tenants: <name>: ...` (beside its package clause, imports,
// lets and comments) and reads nothing of the tenants as a whole: the
// tenant's value then depends on this file and the platform and tier files
// alone, and no other file depends on this one.
func selfContained(f *ast.File) (string, bool) {
	var field *ast.Field
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package, *ast.ImportDecl, *ast.CommentGroup, *ast.LetClause:
		case *ast.Field:
			if field != nil {
				return "", false
			}
			field = d
		default:
			return "", false
		}
	}
	if field == nil || field.Constraint != token.ILLEGAL {
		return "", false
	}
	if id, ok := field.Label.(*ast.Ident); !ok || id.Name != TenantsDir {
		return "", false
	}
	st, ok := field.Value.(*ast.StructLit)
	if !ok {
		return "", false
	}
	var inner *ast.Field
	for _, d := range st.Elts {
		switch d := d.(type) {
		case *ast.CommentGroup:
		case *ast.Field:
			if inner != nil {
				return "", false
			}
			inner = d
		default:
			return "", false
		}
	}
	if inner == nil || inner.Constraint != token.ILLEGAL {
		return "", false
	}
	switch inner.Label.(type) {
	case *ast.Ident, *ast.BasicLit:
	default:
		return "", false
	}
	name, _, err := ast.LabelName(inner.Label)
	if err != nil || name == "" {
		return "", false
	}
	for _, d := range f.Decls {
		if l, ok := d.(*ast.LetClause); ok && readsTenants([]ast.Decl{&ast.EmbedDecl{Expr: l.Expr}}) {
			return "", false
		}
	}
	if readsTenants([]ast.Decl{&ast.EmbedDecl{Expr: inner.Value}}) {
		return "", false
	}
	return name, true
}

// readsTenants reports whether decls name "tenants" anywhere but as the
// label of a field: a reference (or a selector) that may read other
// tenants' definitions. It errs on the side of yes.
func readsTenants(decls []ast.Decl) bool {
	found := false
	var before func(ast.Node) bool
	before = func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.Field:
			if _, ok := n.Label.(*ast.Ident); !ok {
				ast.Walk(n.Label, before, nil)
			}
			ast.Walk(n.Value, before, nil)
			return false
		case *ast.Ident:
			if n.Name == TenantsDir {
				found = true
			}
		}
		return true
	}
	for _, d := range decls {
		ast.Walk(d, before, nil)
	}
	return found
}

// LoadFSBeside is LoadFS for an estate that differs from beside, an estate
// already loaded, in a few tenant files — an earlier commit of the same
// estate. A self-contained tenant file (selfContained) that is byte for
// byte the one beside was loaded from is not evaluated again: its tenant
// is beside's, shared. Where that cannot be known to give what LoadFS
// would — a platform or tier file differs, a file reads the tenants as a
// whole, two files define one tenant — or the partial load fails, the
// whole estate is loaded as LoadFS does.
func LoadFSBeside(fsys fs.FS, root string, beside *Estate) (*Estate, error) {
	if beside == nil || beside.entangled {
		return LoadFS(fsys, root)
	}
	files, err := collect(fsys, root)
	if err != nil {
		return nil, err
	}
	if e := loadBeside(fsys, root, files, beside); e != nil {
		return e, nil
	}
	return loadFiles(fsys, root, files)
}

// loadBeside is LoadFSBeside's partial load; nil when it cannot be made.
func loadBeside(fsys fs.FS, root string, files []sourceFile, beside *Estate) *Estate {
	var keep []sourceFile
	same := map[string]string{} // file → tenant, shared with beside
	others := 0
	for _, sf := range files {
		fi, ok := beside.files[sf.rel]
		switch {
		case !isTenantFile(sf.rel):
			if !ok || fi.blob != blobID(sf.data) {
				return nil
			}
			others++
		case ok && fi.tenant != "" && fi.blob == blobID(sf.data) && beside.Tenants[fi.tenant] != nil:
			same[sf.rel] = fi.tenant
			continue
		}
		keep = append(keep, sf)
	}
	besideOthers := 0
	for rel := range beside.files {
		if !isTenantFile(rel) {
			besideOthers++
		}
	}
	if others != besideOthers || len(same) == 0 {
		return nil
	}
	var ds diagnostics
	parsed := parseFiles(root, keep, &ds)
	if ds.err() != nil {
		return nil
	}
	shared := make(map[string]bool, len(same))
	for _, name := range same {
		shared[name] = true
	}
	for _, f := range parsed {
		if !isTenantFile(f.Filename) || isSchemaFile(f.Filename) {
			continue
		}
		if name, ok := selfContained(f); !ok || shared[name] {
			return nil
		}
	}
	e, err := evaluate(root, parsed)
	if err != nil {
		return nil
	}
	e.record(keep, parsed)
	if e.entangled {
		return nil
	}
	if e.Tenants == nil {
		e.Tenants = make(map[string]*Tenant, len(same))
	}
	prefixes := make(map[string]bool, len(same))
	for rel, name := range same {
		e.Tenants[name] = beside.Tenants[name]
		e.Files = append(e.Files, rel)
		e.files[rel] = beside.files[rel]
		k := TenantsDir + "\x00" + name
		e.positions.decls[k] = beside.positions.decls[k]
		prefixes[PathOf(TenantsDir, name)] = true
	}
	sort.Strings(e.Files)
	for key, pos := range beside.positions.pos {
		if p, ok := tenantOf(key); ok && prefixes[p] {
			e.positions.pos[key] = pos
		}
	}
	// "tenants" is where the first file writes it, shared or not.
	for rel := range same {
		at, ok := e.positions.pos[TenantsDir]
		if !ok || rel < at.File {
			e.positions.pos[TenantsDir] = beside.files[rel].at
		}
	}
	// The checks that span tenants see them all.
	if checkAll(e, fsys) != nil {
		return nil
	}
	return e
}

// tenantOf returns the tenant a formatted path below "tenants" is of
// (the tenant's path, as pathOf formats it); false for any other path.
func tenantOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, TenantsDir+".")
	if !ok || rest == "" {
		return "", false
	}
	n := len(TenantsDir) + 1
	if rest[0] == '"' {
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return key[:n+i+1], true
			}
		}
		return "", false
	}
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		return key[:n+i], true
	}
	return key, true
}
