package images

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// RefNameAnnotation is the index.json annotation that names a manifest of a
// mirror layout: "<repository path without host>:<tag>".
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// mirror serves one OCI image layout as a read-only registry, in process.
// It answers the handful of distribution-API requests that resolution and
// signature look-up make (ping, manifests by tag or digest, blobs), straight
// from the layout's files: nothing is loaded into memory but index.json, and
// image layers are never read.
type mirror struct {
	host, dir string

	once sync.Once
	idx  *mirrorIndex
	err  error
}

type mirrorIndex struct {
	// tags maps "repo:tag" to its manifest. When a name appears more than
	// once in index.json, the last entry wins.
	tags map[string]v1.Descriptor
	// digests holds the media type of every manifest index.json lists.
	digests map[v1.Hash]types.MediaType
}

func newMirror(host, dir string) *mirror {
	return &mirror{host: host, dir: dir}
}

func (m *mirror) load() (*mirrorIndex, error) {
	m.once.Do(func() {
		m.idx, m.err = readMirrorIndex(m.dir)
		if m.err != nil {
			m.err = &mirrorError{host: m.host, dir: m.dir, err: m.err}
		}
	})
	return m.idx, m.err
}

func readMirrorIndex(dir string) (*mirrorIndex, error) {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return nil, errors.New("not an OCI image layout (no oci-layout file)")
	}
	f, err := os.Open(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, errors.New("not an OCI image layout (no index.json)")
	}
	defer f.Close()
	im, err := v1.ParseIndexManifest(f)
	if err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	idx := &mirrorIndex{tags: map[string]v1.Descriptor{}, digests: map[v1.Hash]types.MediaType{}}
	for _, d := range im.Manifests {
		idx.digests[d.Digest] = d.MediaType
		if n := d.Annotations[RefNameAnnotation]; n != "" {
			idx.tags[n] = d
		}
	}
	return idx, nil
}

func (m *mirror) blobPath(h v1.Hash) string {
	return filepath.Join(m.dir, "blobs", h.Algorithm, h.Hex)
}

// RoundTrip answers a registry request from the layout.
func (m *mirror) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	idx, err := m.load()
	if err != nil {
		return nil, err
	}
	p := req.URL.Path
	if p == "/v2" || p == "/v2/" {
		return respond(req, http.StatusOK, nil, []byte("{}")), nil
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return regError(req, http.StatusMethodNotAllowed, "UNSUPPORTED", "the mirror is read-only"), nil
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return regError(req, http.StatusNotFound, "NOT_FOUND", "not a registry path"), nil
	}
	if i := strings.LastIndex(rest, "/manifests/"); i > 0 {
		return m.manifest(req, idx, rest[:i], rest[i+len("/manifests/"):]), nil
	}
	if i := strings.LastIndex(rest, "/blobs/"); i > 0 {
		return m.blob(req, rest[i+len("/blobs/"):]), nil
	}
	return regError(req, http.StatusNotFound, "NOT_FOUND", "not served by the mirror"), nil
}

func (m *mirror) manifest(req *http.Request, idx *mirrorIndex, repo, ref string) *http.Response {
	var h v1.Hash
	var mt types.MediaType
	if d, err := v1.NewHash(ref); err == nil {
		h = d
		mt = idx.digests[h]
	} else if desc, ok := idx.tags[repo+":"+ref]; ok {
		h, mt = desc.Digest, desc.MediaType
	} else {
		return regError(req, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown: "+repo+":"+ref)
	}
	b, err := os.ReadFile(m.blobPath(h))
	if err != nil {
		return regError(req, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown: "+repo+"@"+h.String())
	}
	if mt == "" {
		// A manifest index.json does not list (the child of an index):
		// its own mediaType field says what it is.
		var probe struct {
			MediaType types.MediaType `json:"mediaType"`
		}
		if json.Unmarshal(b, &probe) != nil || probe.MediaType == "" {
			return regError(req, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown: "+repo+"@"+h.String())
		}
		mt = probe.MediaType
	}
	hdr := http.Header{}
	hdr.Set("Content-Type", string(mt))
	hdr.Set("Docker-Content-Digest", h.String())
	return respond(req, http.StatusOK, hdr, b)
}

func (m *mirror) blob(req *http.Request, ref string) *http.Response {
	h, err := v1.NewHash(ref)
	if err != nil {
		return regError(req, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest")
	}
	f, err := os.Open(m.blobPath(h))
	if err != nil {
		return regError(req, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown: "+h.String())
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return regError(req, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown: "+h.String())
	}
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("Docker-Content-Digest", h.String())
	hdr.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	resp := &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: hdr, ContentLength: st.Size(), Request: req,
	}
	if req.Method == http.MethodHead {
		f.Close()
		resp.Body = http.NoBody
	} else {
		resp.Body = f
	}
	return resp
}

func respond(req *http.Request, code int, hdr http.Header, body []byte) *http.Response {
	if hdr == nil {
		hdr = http.Header{}
	}
	if hdr.Get("Content-Type") == "" {
		hdr.Set("Content-Type", "application/json")
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	resp := &http.Response{
		Status: fmt.Sprintf("%d %s", code, http.StatusText(code)), StatusCode: code,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: hdr, ContentLength: int64(len(body)), Request: req,
		Body: io.NopCloser(bytes.NewReader(body)),
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
	}
	return resp
}

func regError(req *http.Request, code int, errCode, msg string) *http.Response {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": errCode, "message": msg}}})
	return respond(req, code, nil, b)
}

// routeTransport sends requests for mirrored hosts to their mirror and the
// rest to the network (or refuses them in Offline mode), counting network
// requests.
type routeTransport struct {
	mirrors map[string]*mirror
	next    http.RoundTripper
	offline bool
	count   func()
}

func (t *routeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if m, ok := t.mirrors[req.URL.Host]; ok {
		return m.RoundTrip(req)
	}
	if t.offline {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, errOffline
	}
	if t.count != nil {
		t.count()
	}
	return t.next.RoundTrip(req)
}

// mirrorHost normalises a mirror's host key the way references name their
// registry ("docker.io" becomes "index.docker.io").
func mirrorHost(host string) string {
	r, err := name.NewRegistry(host)
	if err != nil {
		return host
	}
	return r.RegistryStr()
}
