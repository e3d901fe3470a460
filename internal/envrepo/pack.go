package envrepo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Object storage. A commit's new objects are held in memory until they are
// complete (pending), then written in one go: as a pack when there are
// many (a first render, a platform change touching every tenant), loose
// otherwise. A 1,000-tenant tree written loose is ~10,000 files, and
// reading the tip back (every render does) opens and inflates each of
// them: about 3.5 times slower than from a pack. After a commit, loose
// objects and packs that have piled up are consolidated as git's
// `gc --auto` would (maintain). Neither ever deletes an object that is not
// in a pack written, indexed and synced to disk before: an interrupted run
// leaves at worst temporary files, which the next one removes, or objects
// present twice.

// packMin is the number of new objects from which a commit's objects are
// written as a pack: git's transfer.unpackLimit, from which a push or
// fetch keeps what it receives as a pack rather than exploding it.
const packMin = 100

// Git's defaults for gc.auto (loose objects that call for packing them),
// gc.autoPackLimit (packs that call for consolidating them) and
// pack.window (how many neighbouring objects the delta search of a repack
// tries as bases).
const (
	defaultGCAuto      = 6700
	defaultGCPackLimit = 50
	defaultPackWindow  = 10
)

// pending is the repository's object store with the objects written
// through it held back in memory until flush.
type pending struct {
	storer.EncodedObjectStorer
	// packDir is the repository's objects/pack directory, where flush
	// writes packs.
	packDir string
	objs    map[plumbing.Hash]plumbing.EncodedObject
	order   []plumbing.Hash
}

func newPending(s storer.EncodedObjectStorer, packDir string) *pending {
	return &pending{EncodedObjectStorer: s, packDir: packDir, objs: map[plumbing.Hash]plumbing.EncodedObject{}}
}

func (p *pending) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	if o.Type() == plumbing.OFSDeltaObject || o.Type() == plumbing.REFDeltaObject {
		return plumbing.ZeroHash, plumbing.ErrInvalidType
	}
	h := o.Hash()
	if _, ok := p.objs[h]; !ok {
		p.objs[h] = o
		p.order = append(p.order, h)
	}
	return h, nil
}

func (p *pending) HasEncodedObject(h plumbing.Hash) error {
	if _, ok := p.objs[h]; ok {
		return nil
	}
	return p.EncodedObjectStorer.HasEncodedObject(h)
}

func (p *pending) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, ok := p.objs[h]; ok {
		if t != plumbing.AnyObject && o.Type() != t {
			return nil, plumbing.ErrObjectNotFound
		}
		return o, nil
	}
	return p.EncodedObjectStorer.EncodedObject(t, h)
}

func (p *pending) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if o, ok := p.objs[h]; ok {
		return o.Size(), nil
	}
	return p.EncodedObjectStorer.EncodedObjectSize(h)
}

// flush writes the held objects to the store: as one pack in packDir
// when there are at least packMin of them, else loose.
func (p *pending) flush() error {
	defer func() { clear(p.objs); p.order = nil }()
	if len(p.order) >= packMin {
		if _, err := writePack(p.packDir, p.EncodedObjectStorer, p, p.order, 0); err != nil {
			return fmt.Errorf("envrepo: writing a pack of %d objects: %w", len(p.order), err)
		}
		return nil
	}
	for _, h := range p.order {
		if _, err := p.EncodedObjectStorer.SetEncodedObject(p.objs[h]); err != nil {
			return fmt.Errorf("envrepo: writing object %s: %w", h, err)
		}
	}
	return nil
}

// packTmpPrefix starts the names of the temporary files writePack writes in
// objects/pack: its own, so that the ones a killed run left can be told
// from those a git command is writing there (git's are tmp_pack_* and
// tmp_idx_*) and removed (removeStaleFiles).
const packTmpPrefix = "tmp_palisade_"

// writePack writes the objects hashes, read from src, as a pack and its
// index in the directory packDir (objects/pack) of the store st, and
// returns the pack's checksum, which names it. Deltas are searched among
// window neighbours (0: none). Both files are written under temporary
// names, synced, and renamed into place, the index before its pack, as
// go-git does. Readers find packs two ways: go-git lists the .pack files
// and then needs their index, git lists the .idx files and skips one
// whose pack is not there yet. In this order neither meets a half-written
// file or a pack without its index, even when a run is killed between the
// two renames (removeStaleFiles then removes the lone index). On failure
// the temporary files are removed. The store then reads its packs afresh.
func writePack(packDir string, st, src storer.EncodedObjectStorer, hashes []plumbing.Hash, window uint) (sum plumbing.Hash, err error) {
	if packDir == "" {
		return plumbing.ZeroHash, errors.New("the store keeps no packs")
	}
	pack, err := os.CreateTemp(packDir, packTmpPrefix+"pack_")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	idx, err := os.CreateTemp(packDir, packTmpPrefix+"idx_")
	if err != nil {
		pack.Close()
		os.Remove(pack.Name())
		return plumbing.ZeroHash, err
	}
	defer func() {
		pack.Close()
		idx.Close()
		if err != nil {
			os.Remove(pack.Name())
			os.Remove(idx.Name())
		}
	}()
	bw := bufio.NewWriterSize(pack, 1<<16)
	if sum, err = packfile.NewEncoder(bw, src, false).Encode(hashes, window); err != nil {
		return plumbing.ZeroHash, err
	}
	if err = bw.Flush(); err != nil {
		return plumbing.ZeroHash, err
	}
	// The index, from the pack as written.
	if _, err = pack.Seek(0, io.SeekStart); err != nil {
		return plumbing.ZeroHash, err
	}
	iw := new(idxfile.Writer)
	parser, err := packfile.NewParser(packfile.NewScanner(pack), iw)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	parsed, err := parser.Parse()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("indexing the pack: %w", err)
	}
	if parsed != sum {
		return plumbing.ZeroHash, fmt.Errorf("indexing the pack: checksum %s, written as %s", parsed, sum)
	}
	index, err := iw.Index()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ib := bufio.NewWriter(idx)
	if _, err = idxfile.NewEncoder(ib).Encode(index); err != nil {
		return plumbing.ZeroHash, err
	}
	if err = ib.Flush(); err != nil {
		return plumbing.ZeroHash, err
	}
	for _, f := range []*os.File{pack, idx} {
		if err = f.Sync(); err != nil {
			return plumbing.ZeroHash, err
		}
		// Read-only, as git leaves its packs.
		if err = f.Chmod(0o444); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	base := filepath.Join(packDir, "pack-"+sum.String())
	for _, f := range []struct{ tmp, name string }{{idx.Name(), base + ".idx"}, {pack.Name(), base + ".pack"}} {
		if _, statErr := os.Stat(f.name); statErr == nil {
			// The same pack is there already: keep it.
			os.Remove(f.tmp)
			continue
		}
		if err = os.Rename(f.tmp, f.name); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if ri, ok := st.(interface{ Reindex() }); ok {
		ri.Reindex()
	}
	return sum, nil
}

// removeStaleFiles removes what writePack left in packDir when a run was
// killed while it wrote a pack: its temporary files, and an index whose
// pack never followed it. Only a run holding the repository's lock writes
// packs this way, so none of them is being written; git renames a pack
// before its index, so a git command at work never leaves an index alone.
func removeStaleFiles(packDir string) (int, error) {
	ents, err := os.ReadDir(packDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	names := make(map[string]bool, len(ents))
	for _, e := range ents {
		names[e.Name()] = true
	}
	n := 0
	for _, e := range ents {
		name := e.Name()
		stale := strings.HasPrefix(name, packTmpPrefix)
		if base, ok := strings.CutSuffix(name, ".idx"); ok && strings.HasPrefix(base, "pack-") && !names[base+".pack"] {
			stale = true
		}
		if stale {
			if err := os.Remove(filepath.Join(packDir, name)); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// Maintenance is what maintain did after a commit.
type Maintenance struct {
	// Packed is the number of loose objects moved into a new pack;
	// Consolidated the number of packs merged into one.
	Packed, Consolidated int
}

// maintain packs the repository's loose objects when there are more than
// gc.auto of them (git's default 6,700, estimated as git does from one of
// the 256 object directories; 0 turns maintenance off), and merges its
// packs into one when there are more than gc.autoPackLimit (50). Objects
// are deleted only once the pack holding them is in place, and only
// those it holds: unreachable objects are kept (git gc prunes them, after
// its grace period). First, whatever gc.auto says, it removes the
// files of a pack write a killed run left (removeStaleFiles).
func (r *Repo) maintain() (Maintenance, error) {
	var m Maintenance
	auto, packLimit, window := defaultGCAuto, defaultGCPackLimit, uint(defaultPackWindow)
	if cfg, err := r.repo.Config(); err == nil && cfg.Raw != nil {
		gc := cfg.Raw.Section("gc")
		if v, err := strconv.Atoi(gc.Option("auto")); err == nil {
			auto = v
		}
		if v, err := strconv.Atoi(gc.Option("autoPackLimit")); err == nil {
			packLimit = v
		}
		if v, err := strconv.ParseUint(cfg.Raw.Section("pack").Option("window"), 10, 16); err == nil {
			window = uint(v)
		}
	}
	// Palisade's own leftovers go whatever gc.auto says.
	if _, err := removeStaleFiles(r.packDir()); err != nil {
		return m, fmt.Errorf("envrepo: removing the temporary files of an interrupted pack write: %w", err)
	}
	if auto <= 0 {
		return m, nil
	}
	los, ok1 := r.repo.Storer.(storer.LooseObjectStorer)
	pos, ok2 := r.repo.Storer.(storer.PackedObjectStorer)
	if !ok1 || !ok2 {
		return m, nil
	}
	// git's estimate: the loose objects of objects/17, times 256.
	entries, err := os.ReadDir(filepath.Join(r.gitDir, "objects", "17"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return m, fmt.Errorf("envrepo: counting loose objects: %w", err)
	}
	if len(entries)*256 > auto {
		var loose []plumbing.Hash
		if err := los.ForEachObjectHash(func(h plumbing.Hash) error {
			loose = append(loose, h)
			return nil
		}); err != nil {
			return m, fmt.Errorf("envrepo: listing loose objects: %w", err)
		}
		if err := packLoose(r.packDir(), los, r.repo.Storer, loose, window); err != nil {
			return m, err
		}
		m.Packed = len(loose)
	}
	packs, err := pos.ObjectPacks()
	if err != nil {
		return m, fmt.Errorf("envrepo: listing packs: %w", err)
	}
	if packLimit > 0 && len(packs) > packLimit {
		n, err := r.consolidate(pos, packs, window)
		if err != nil {
			return m, err
		}
		m.Consolidated = n
	}
	return m, nil
}

// packLoose writes the loose objects hashes as a pack, then deletes them.
// The pack stores objects as deltas against similar ones, searching
// window neighbours (pack.window; 0 for none), as git's repack does:
// loose objects pile up from many small commits, each of which wrote
// anew the large trees above what it changed (a tenants directory of
// 1,000 entries is about 40 KB), and those trees differ by an entry or
// two. A hundred one-tenant commits into a 1,000-tenant repository wrote
// 7.3 MB of objects, 0.37 MB as deltas.
func packLoose(packDir string, los storer.LooseObjectStorer, src storer.EncodedObjectStorer, hashes []plumbing.Hash, window uint) error {
	if len(hashes) == 0 {
		return nil
	}
	if _, err := writePack(packDir, src, src, hashes, window); err != nil {
		return fmt.Errorf("envrepo: packing %d loose objects: %w", len(hashes), err)
	}
	for _, h := range hashes {
		if err := los.DeleteLooseObject(h); err != nil {
			return fmt.Errorf("envrepo: removing packed loose object %s: %w", h, err)
		}
	}
	return nil
}

// consolidate writes every object of packs into one new pack, with
// deltas searched as packLoose does (go-git's encoder does not reuse the
// deltas of the packs it reads: it searches again), then removes the old
// packs.
func (r *Repo) consolidate(pos storer.PackedObjectStorer, packs []plumbing.Hash, window uint) (int, error) {
	seen := map[plumbing.Hash]bool{}
	var all []plumbing.Hash
	for _, p := range packs {
		if err := packHashes(filepath.Join(r.packDir(), "pack-"+p.String()+".idx"), func(h plumbing.Hash) {
			if !seen[h] {
				seen[h] = true
				all = append(all, h)
			}
		}); err != nil {
			return 0, fmt.Errorf("envrepo: reading the index of pack %s: %w", p, err)
		}
	}
	sum, err := writePack(r.packDir(), r.repo.Storer, r.repo.Storer, all, window)
	if err != nil {
		return 0, fmt.Errorf("envrepo: consolidating %d packs: %w", len(packs), err)
	}
	// Every pack but the new one goes. The new one may be an old one,
	// written again byte for byte (its objects were all the others had):
	// it stays, and nothing was consolidated.
	if slices.Contains(packs, sum) {
		return 0, nil
	}
	if _, err := os.Stat(filepath.Join(r.packDir(), "pack-"+sum.String()+".pack")); err != nil {
		return 0, fmt.Errorf("envrepo: consolidating %d packs: the new pack is not in place: %w", len(packs), err)
	}
	for _, p := range packs {
		if err := pos.DeleteOldObjectPackAndIndex(p, time.Time{}); err != nil {
			return 0, fmt.Errorf("envrepo: removing consolidated pack %s: %w", p, err)
		}
	}
	// The store's index still lists the removed packs.
	if ri, ok := r.repo.Storer.(interface{ Reindex() }); ok {
		ri.Reindex()
	}
	return len(packs), nil
}

// packDir is the repository's objects/pack directory.
func (r *Repo) packDir() string { return filepath.Join(r.gitDir, "objects", "pack") }

// packHashes calls fn with each object hash the pack index file at path
// lists.
func packHashes(path string, fn func(plumbing.Hash)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	idx := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(bufio.NewReader(f)).Decode(idx); err != nil {
		return err
	}
	it, err := idx.Entries()
	if err != nil {
		return err
	}
	defer it.Close()
	for {
		e, err := it.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fn(e.Hash)
	}
}
