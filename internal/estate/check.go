package estate

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked the same on every machine

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/palisade-gitops/palisade/internal/suggest"
)

// check runs the semantic checks CUE cannot express well: references between
// platform, tiers and tenants, uniqueness across tenants, time zones and
// date ranges, keys and image references. Each problem is reported at the
// line that holds the offending value.
func check(e *Estate, fsys fs.FS, ds *diagnostics) {
	c := &checker{e: e, fsys: fsys, ds: ds}
	c.platform()
	for _, n := range e.TierNames() {
		c.tier(e.Tiers[n])
	}
	for _, n := range e.TenantNames() {
		c.tenant(e.Tenants[n])
	}
	c.domains()
	c.approvals()
}

type checker struct {
	e *Estate
	// fsys holds the estate's files, key files included.
	fsys fs.FS
	ds   *diagnostics
}

// at reports a problem at the value of the given path.
func (c *checker) at(labels []string, format string, args ...any) {
	c.ds.add(c.e.Position(labels...), PathOf(labels...), format, args...)
}

func p(labels ...string) []string { return labels }

// known lists the names of m for an error about word, which is not one
// of them, with the one it was most likely meant to be.
func known(word string, m any) string {
	var names []string
	switch m := m.(type) {
	case map[string]Region:
		for k := range m {
			names = append(names, k)
		}
	case map[string]Cluster:
		for k := range m {
			names = append(names, k)
		}
	case map[string]SigningKey:
		for k := range m {
			names = append(names, k)
		}
	case map[string]Segment:
		for k := range m {
			names = append(names, k)
		}
	case map[string]*Tier:
		for k := range m {
			names = append(names, k)
		}
	case map[string]*Tenant:
		for k := range m {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return "none are defined"
	}
	sort.Strings(names)
	hint := ""
	if c := suggest.Closest(word, names); c != "" {
		hint = "did you mean " + c + "? "
	}
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	return hint + "known: " + strings.Join(names, ", ")
}

func (c *checker) platform() {
	pl := &c.e.Platform
	c.timeZone(p("platform", "timeZone"), pl.TimeZone)
	for _, rn := range sortedKeys(pl.Clusters) {
		cl := pl.Clusters[rn]
		base := p("platform", "clusters", rn)
		region, ok := pl.Regions[cl.Region]
		if !ok {
			c.at(append(base, "region"), "unknown region %q (%s)", cl.Region, known(cl.Region, pl.Regions))
		} else {
			for i, z := range cl.Zones {
				if !slices.Contains(region.Zones, z) {
					c.at(append(base, "zones", strconv.Itoa(i)), "zone %q is not a zone of region %q (%s)", z, cl.Region, strings.Join(region.Zones, ", "))
				}
			}
		}
		for _, pn := range sortedKeys(cl.NodePools) {
			np := cl.NodePools[pn]
			pb := append(base, "nodePools", pn)
			if np.Segment != "" {
				if _, ok := pl.Segments[np.Segment]; !ok {
					c.at(append(pb, "segment"), "unknown segment %q (%s)", np.Segment, known(np.Segment, pl.Segments))
				}
			}
			if np.Tenant != "" {
				if _, ok := c.e.Tenants[np.Tenant]; !ok {
					c.at(append(pb, "tenant"), "unknown tenant %q: a dedicated node pool belongs to a tenant of the estate", np.Tenant)
				}
			}
			for i, z := range np.Zones {
				if !slices.Contains(cl.Zones, z) {
					c.at(append(pb, "zones", strconv.Itoa(i)), "zone %q is not a zone of cluster %q", z, cl.Name)
				}
			}
		}
	}
	for _, im := range []struct{ field, ref string }{
		{"postgres", pl.Images.Postgres}, {"redis", pl.Images.Redis},
		{"backup", pl.Images.Backup}, {"restoreTest", pl.Images.RestoreTest},
	} {
		c.image(p("platform", "images", im.field), im.ref)
	}
	for _, r := range sortedKeys(pl.ObjectStorage) {
		if _, ok := pl.Regions[r]; !ok {
			c.at(p("platform", "objectStorage", r), "unknown region %q (%s)", r, known(r, pl.Regions))
		}
	}
	c.e.Keys, c.e.Keyless = map[string][]byte{}, map[string]KeylessTrust{}
	for _, kn := range sortedKeys(pl.Keys) {
		k := pl.Keys[kn]
		switch {
		case k.PublicKey != "" && k.Keyless != nil:
			c.at(p("platform", "keys", kn, "keyless"), "key %q has both a publicKey and keyless: a key is one or the other", kn)
		case k.Keyless != nil:
			c.keyless(kn, *k.Keyless)
		case k.PublicKey != "":
			c.key(kn, k)
		default:
			c.at(p("platform", "keys", kn), "key %q needs a publicKey (a cosign public key) or keyless (an OIDC identity signing without a key)", kn)
		}
	}
	if cs := pl.GitOps.CommitSigning; cs != nil {
		c.commitSigning(cs)
	}
	for i, h := range pl.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			c.at(p("platform", "holidays", strconv.Itoa(i)), "invalid date %q: %s", h, dateProblem(err))
		}
	}
	for _, wn := range sortedKeys(pl.Calendar) {
		c.window(p("platform", "calendar", wn), pl.Calendar[wn])
	}
	for _, id := range sortedKeys(pl.Waivers) {
		c.platformWaiver(p("platform", "waivers", id), pl.Waivers[id])
	}
}

// platformWaiver checks that a platform waiver's scope names a tenant of
// the estate and a window of some calendar (of that tenant's, when it
// names one).
func (c *checker) platformWaiver(base []string, w Waiver) {
	t, ok := c.e.Tenants[w.Scope.Tenant]
	if w.Scope.Tenant != "" && !ok {
		c.at(append(base, "scope", "tenant"), "unknown tenant %q (%s)", w.Scope.Tenant, known(w.Scope.Tenant, c.e.Tenants))
		return
	}
	// A freeze.window-lifted waiver names a window the change may remove
	// or move away: the estate it judges need not have it.
	if w.Scope.Window == "" || w.Policy == "freeze.window-lifted" {
		return
	}
	if t != nil {
		if !c.windowApplies(t, w.Scope.Window) {
			c.at(append(base, "scope", "window"), "unknown window %q: no platform, tier or tenant window of that name applies to %q", w.Scope.Window, t.Name)
		}
		return
	}
	if _, ok := c.e.Platform.Calendar[w.Scope.Window]; ok {
		return
	}
	for _, tier := range c.e.Tiers {
		if _, ok := tier.Calendar[w.Scope.Window]; ok {
			return
		}
	}
	for _, t := range c.e.Tenants {
		if _, ok := t.Calendar[w.Scope.Window]; ok {
			return
		}
	}
	c.at(append(base, "scope", "window"), "unknown window %q: no platform, tier or tenant calendar has a window of that name", w.Scope.Window)
}

// pemFile reads a PEM value of the estate: a path relative to the estate
// root, or PEM text.
func (c *checker) pemFile(labels []string, v string) ([]byte, bool) {
	if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
		return []byte(v), true
	}
	return c.file(labels, v)
}

// file reads a file the estate names, by a path relative to its root.
func (c *checker) file(labels []string, v string) ([]byte, bool) {
	if filepath.IsAbs(v) || !filepath.IsLocal(filepath.FromSlash(v)) {
		c.at(labels, "key file %q must be a path inside the estate root", v)
		return nil, false
	}
	data, err := fs.ReadFile(c.fsys, path.Clean(filepath.ToSlash(v)))
	if err != nil {
		c.at(labels, "cannot read key file %q: %v", v, unwrapPathError(err))
		return nil, false
	}
	return data, true
}

// publicKey parses a PEM public key.
func (c *checker) publicKey(labels []string, v string) ([]byte, any, bool) {
	data, ok := c.pemFile(labels, v)
	if !ok {
		return nil, nil, false
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		c.at(labels, "%q is not a PEM public key (want a \"PUBLIC KEY\" block, as cosign writes)", v)
		return nil, nil, false
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		c.at(labels, "%q holds an unreadable public key: %v", v, err)
		return nil, nil, false
	}
	return data, pub, true
}

// key reads a signing key: a path relative to the estate root, or PEM text.
func (c *checker) key(kn string, k SigningKey) {
	if data, _, ok := c.publicKey(p("platform", "keys", kn, "publicKey"), k.PublicKey); ok {
		c.e.Keys[kn] = data
	}
}

// keyless reads a keyless signer: its CA certificates, the transparency
// log's key, and the identity it trusts.
func (c *checker) keyless(kn string, k Keyless) {
	base := p("platform", "keys", kn, "keyless")
	ok := true
	var roots, logKey, trusted, ctKey, tsa []byte
	switch {
	case k.TrustedRoot != "" && (k.Roots != "" || k.RekorPublicKey != ""):
		c.at(append(base, "trustedRoot"), "give a trustedRoot, or roots and a rekorPublicKey: not both")
		ok = false
	case k.TrustedRoot != "" && k.CTLogPublicKey != "":
		c.at(append(base, "ctLogPublicKey"), "a trustedRoot names its certificate transparency logs itself: give ctLogPublicKey with roots only")
		ok = false
	case k.TrustedRoot != "" && k.TSACertificates != "":
		c.at(append(base, "tsaCertificates"), "a trustedRoot names its timestamping authorities itself: give tsaCertificates with roots only")
		ok = false
	case k.TrustedRoot != "":
		ok = c.trustedRoot(append(base, "trustedRoot"), k.TrustedRoot, &trusted)
	case k.Roots == "" || k.RekorPublicKey == "" && k.TSACertificates == "":
		c.at(base, "keyless signer %q needs the CA roots, and the Rekor log's key or a timestamping authority to date signatures: roots with rekorPublicKey or tsaCertificates (or both), or a trustedRoot", kn)
		ok = false
	default:
		ok = c.caRoots(append(base, "roots"), k.Roots, &roots)
		if k.RekorPublicKey != "" && !c.logKey(append(base, "rekorPublicKey"), k.RekorPublicKey, &logKey) {
			ok = false
		}
		if k.CTLogPublicKey != "" && !c.logKey(append(base, "ctLogPublicKey"), k.CTLogPublicKey, &ctKey) {
			ok = false
		}
		if k.TSACertificates != "" && !c.tsaChain(append(base, "tsaCertificates"), k.TSACertificates, &tsa) {
			ok = false
		}
	}
	switch {
	case k.Identity != "" && k.IdentityRegexp != "":
		c.at(append(base, "identityRegexp"), "give identity or identityRegexp, not both")
		ok = false
	case k.Identity == "" && k.IdentityRegexp == "":
		c.at(base, "keyless signer %q needs an identity or an identityRegexp: without one, every identity of %s would be trusted", kn, k.OIDCIssuer)
		ok = false
	case k.IdentityRegexp != "":
		if _, err := regexp.Compile(k.IdentityRegexp); err != nil {
			c.at(append(base, "identityRegexp"), "invalid regular expression: %v", err)
			ok = false
		}
	}
	if ok {
		c.e.Keyless[kn] = KeylessTrust{RootsPEM: roots, RekorPublicKeyPEM: logKey, TrustedRootJSON: trusted, CTLogPublicKeyPEM: ctKey, TSAChainPEM: tsa,
			OIDCIssuer: k.OIDCIssuer, Identity: k.Identity, IdentityRegexp: k.IdentityRegexp}
	}
}

// caRoots reads PEM CA certificates: a Fulcio root and intermediates.
func (c *checker) caRoots(labels []string, v string, out *[]byte) bool {
	data, ok := c.pemFile(labels, v)
	if !ok {
		return false
	}
	certs, ok := pemCertificates(data)
	if !ok || slices.ContainsFunc(certs, func(c *x509.Certificate) bool { return !c.IsCA }) {
		c.at(labels, "%q must hold PEM CA certificates only (a Fulcio root, and intermediates), as a trusted root lists them", v)
		return false
	}
	if len(certs) == 0 {
		c.at(labels, "%q holds no PEM certificate", v)
		return false
	}
	*out = data
	return true
}

// pemCertificates parses PEM data that holds certificates only; ok is
// false when a block is something else or does not parse.
func pemCertificates(data []byte) (certs []*x509.Certificate, ok bool) {
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return certs, true
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if block.Type != "CERTIFICATE" || err != nil {
			return nil, false
		}
		certs = append(certs, cert)
	}
}

// tsaChain reads a timestamping authority's certificate chain: its
// signing certificate, any intermediates and its root, PEM, as `cosign
// verify --timestamp-certificate-chain` takes it.
func (c *checker) tsaChain(labels []string, v string, out *[]byte) bool {
	data, ok := c.pemFile(labels, v)
	if !ok {
		return false
	}
	certs, ok := pemCertificates(data)
	if !ok {
		c.at(labels, "%q must hold PEM certificates only: the timestamping authority's, any intermediates and its root", v)
		return false
	}
	if len(certs) < 2 || certs[0].IsCA || !certs[len(certs)-1].IsCA {
		c.at(labels, "%q must hold the timestamping authority's signing certificate first, then any intermediates, and its root last", v)
		return false
	}
	*out = data
	return true
}

// logKey reads a transparency log's public key: ECDSA, as Rekor's.
func (c *checker) logKey(labels []string, v string, out *[]byte) bool {
	data, pub, ok := c.publicKey(labels, v)
	if !ok {
		return false
	}
	if _, ecdsaKey := pub.(*ecdsa.PublicKey); !ecdsaKey {
		c.at(labels, "%q is not an ECDSA key, as a transparency log's is", v)
		return false
	}
	*out = data
	return true
}

// trustedRoot reads a Sigstore trusted root (trusted_root.json): the
// protobuf JSON of dev.sigstore.trustroot.v1.TrustedRoot, with at least
// one certificate authority whose chain parses, and a transparency log
// whose key does or a timestamping authority whose chain does. (The image stage parses it whole with sigstore-go; the
// estate keeps clear of sigstore, as the render's layering requires.)
func (c *checker) trustedRoot(labels []string, v string, out *[]byte) bool {
	data, ok := c.file(labels, v)
	if !ok {
		return false
	}
	type raw struct {
		RawBytes []byte `json:"rawBytes"`
	}
	var tr struct {
		MediaType string `json:"mediaType"`
		Tlogs     []struct {
			PublicKey raw `json:"publicKey"`
		} `json:"tlogs"`
		TimestampAuthorities []struct {
			CertChain struct {
				Certificates []raw `json:"certificates"`
			} `json:"certChain"`
		} `json:"timestampAuthorities"`
		CertificateAuthorities []struct {
			CertChain struct {
				Certificates []raw `json:"certificates"`
			} `json:"certChain"`
		} `json:"certificateAuthorities"`
	}
	bad := func(why string, args ...any) bool {
		c.at(labels, "%q is not a Sigstore trusted root: %s", v, fmt.Sprintf(why, args...))
		return false
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		return bad("not JSON (%v)", err)
	}
	if !strings.HasPrefix(tr.MediaType, "application/vnd.dev.sigstore.trustedroot") {
		return bad("media type %q", tr.MediaType)
	}
	if len(tr.CertificateAuthorities) == 0 || len(tr.Tlogs)+len(tr.TimestampAuthorities) == 0 {
		return bad("it lists no certificate authority, or neither a transparency log nor a timestamping authority")
	}
	for _, ca := range tr.CertificateAuthorities {
		for _, cert := range ca.CertChain.Certificates {
			if _, err := x509.ParseCertificate(cert.RawBytes); err != nil {
				return bad("a certificate authority's chain: %v", err)
			}
		}
	}
	for _, ta := range tr.TimestampAuthorities {
		for _, cert := range ta.CertChain.Certificates {
			if _, err := x509.ParseCertificate(cert.RawBytes); err != nil {
				return bad("a timestamping authority's chain: %v", err)
			}
		}
	}
	for _, l := range tr.Tlogs {
		if _, err := x509.ParsePKIXPublicKey(l.PublicKey.RawBytes); err != nil {
			return bad("a transparency log's key: %v", err)
		}
	}
	*out = data
	return true
}

func (c *checker) tier(t *Tier) {
	base := p("tiers", t.Name)
	if files := c.e.declFiles(TiersDir, t.Name); len(files) > 0 {
		want := TiersDir + "/" + t.Name + ".cue"
		for _, f := range files {
			if f != want {
				c.ds.add(c.declPos(f, base), PathOf(base...), "tier %q must be defined in %s, not %s", t.Name, want, f)
			}
		}
	}
	for i, k := range t.SigningKeys {
		if _, ok := c.e.Platform.Keys[k]; !ok {
			c.at(append(base, "signingKeys", strconv.Itoa(i)), "unknown signing key %q (%s)", k, known(k, c.e.Platform.Keys))
		}
	}
	for _, wn := range sortedKeys(t.Calendar) {
		c.window(append(base, "calendar", wn), t.Calendar[wn])
	}
}

// declPos is where the declaration of base is written in file.
func (c *checker) declPos(file string, base []string) Position {
	pos := c.e.Position(base...)
	if pos.File != file {
		return Position{File: file}
	}
	return pos
}

func (c *checker) tenant(t *Tenant) {
	e := c.e
	base := p("tenants", t.Name)
	want := TenantsDir + "/" + t.Name + ".cue"
	files := e.declFiles(TenantsDir, t.Name)
	for _, f := range files {
		if f != want {
			c.ds.add(c.declPos(f, base), PathOf(base...), "tenant %q must be defined in its own file %s, not in %s", t.Name, want, f)
		}
	}
	if f := firstOf(files, want); f != "" {
		t.File = f
	}
	tier, ok := e.Tiers[t.Tier]
	if !ok {
		c.at(append(base, "tier"), "unknown tier %q (%s)", t.Tier, known(t.Tier, e.Tiers))
	}
	if ok {
		switch {
		case tier.Isolation == IsolationSegmented && t.Segment == "":
			c.at(append(base, "tier"), "tier %q is segmented: the tenant needs a segment (%s)", t.Tier, known("", e.Platform.Segments))
		case tier.Isolation != IsolationSegmented && t.Segment != "":
			c.at(append(base, "segment"), "segment %q given, but tier %q is %s, not segmented", t.Segment, t.Tier, tier.Isolation)
		}
	}
	if t.Segment != "" {
		if _, ok := e.Platform.Segments[t.Segment]; !ok {
			c.at(append(base, "segment"), "unknown segment %q (%s)", t.Segment, known(t.Segment, e.Platform.Segments))
		}
	}
	c.timeZone(append(base, "timeZone"), t.TimeZone)
	c.image(append(base, "odoo", "image"), t.Odoo.Image)

	for _, en := range EnvironmentClasses {
		env, ok := t.Environments[en]
		if !ok {
			continue
		}
		eb := append(base, "environments", en)
		var tenv *TierEnvironment
		if tier != nil {
			tenv = tier.Environments[en]
		}
		c.placement(t, append(eb, "placement"), env.Placement, tenv)
		if env.Standby != nil {
			c.placement(t, append(eb, "standby"), *env.Standby, nil)
			if env.Standby.Region == env.Placement.Region {
				c.at(append(eb, "standby", "region"), "standby must be in another region than the primary (%q)", env.Placement.Region)
			}
		} else if tenv != nil && tenv.Backup.CrossRegion {
			c.at(eb, "tier %q keeps a cross-region standby for %s: set standby: {region, cluster} in a second region", t.Tier, en)
		}
		if env.Image != "" {
			c.image(append(eb, "image"), env.Image)
		}
	}
	for _, in := range sortedKeys(t.Integrations) {
		for i, ep := range t.Integrations[in].Endpoints {
			lb := append(base, "integrations", in, "endpoints", strconv.Itoa(i), "cidr")
			pfx, err := netip.ParsePrefix(ep.CIDR)
			if err != nil || !pfx.Addr().Is4() {
				c.at(lb, "invalid IPv4 CIDR %q", ep.CIDR)
			} else if pfx.Masked() != pfx {
				c.at(lb, "CIDR %q has host bits set; the network is %s", ep.CIDR, pfx.Masked())
			}
		}
	}
	for _, wn := range sortedKeys(t.Calendar) {
		c.window(append(base, "calendar", wn), t.Calendar[wn])
	}
	for _, id := range sortedKeys(t.Waivers) {
		w := t.Waivers[id]
		wb := append(base, "waivers", id)
		switch w.Policy {
		case "freeze.platform-change":
			c.at(append(wb, "policy"), "a tenant's waiver cannot waive freeze.platform-change: the platform objects serve other tenants too; in an emergency, declare a platform break-glass waiver (platform.waivers)")
		case "freeze.platform-neighbour", "freeze.platform-held":
			c.at(append(wb, "policy"), "a tenant's waiver cannot waive %s: the window is its neighbour's, not the tenant's", w.Policy)
		}
		if w.Scope.Environment != "" {
			if _, ok := t.Environments[w.Scope.Environment]; !ok {
				c.at(append(wb, "scope", "environment"), "tenant %q has no %s environment", t.Name, w.Scope.Environment)
			}
		}
		// A freeze.window-lifted waiver names a window the change may
		// remove or move away from the tenant: the estate it judges need
		// not have it. One that matches nothing is reported unused.
		if w.Scope.Window != "" && w.Policy != "freeze.window-lifted" && !c.windowApplies(t, w.Scope.Window) {
			c.at(append(wb, "scope", "window"), "unknown window %q: no platform, tier or tenant window of that name applies to %q", w.Scope.Window, t.Name)
		}
	}
}

func firstOf(files []string, want string) string {
	if slices.Contains(files, want) {
		return want
	}
	if len(files) > 0 {
		return files[0]
	}
	return ""
}

func (c *checker) windowApplies(t *Tenant, name string) bool {
	if _, ok := t.Calendar[name]; ok {
		return true
	}
	if tier, ok := c.e.Tiers[t.Tier]; ok {
		if _, ok := tier.Calendar[name]; ok {
			return true
		}
	}
	_, ok := c.e.Platform.Calendar[name]
	return ok
}

// placement checks that a region and cluster exist and agree, and that the
// cluster has the kind of node pool the tier's isolation needs.
func (c *checker) placement(t *Tenant, labels []string, pl Placement, tenv *TierEnvironment) {
	e := c.e
	if _, ok := e.Platform.Regions[pl.Region]; !ok {
		c.at(append(labels, "region"), "unknown region %q (%s)", pl.Region, known(pl.Region, e.Platform.Regions))
		return
	}
	if _, ok := e.Platform.ObjectStorage[pl.Region]; !ok {
		c.at(append(labels, "region"), "region %q has no object storage for backups: add platform.objectStorage.%q", pl.Region, pl.Region)
	}
	cl, ok := e.Platform.Clusters[pl.Cluster]
	if !ok {
		c.at(append(labels, "cluster"), "unknown cluster %q (%s)", pl.Cluster, known(pl.Cluster, e.Platform.Clusters))
		return
	}
	if cl.Region != pl.Region {
		c.at(append(labels, "cluster"), "cluster %q is in region %q, not %q", pl.Cluster, cl.Region, pl.Region)
		return
	}
	if tenv == nil {
		return
	}
	if tenv.NodePool == PoolSegment {
		if _, ok := e.Platform.Segments[t.Segment]; !ok {
			return // the segment itself is reported
		}
	}
	found := false
	for _, np := range cl.NodePools {
		switch tenv.NodePool {
		case PoolShared:
			found = found || np.Class == PoolShared
		case PoolSegment:
			found = found || (np.Class == PoolSegment && np.Segment == t.Segment)
		case PoolDedicated:
			found = found || (np.Class == PoolDedicated && np.Tenant == t.Name)
		}
	}
	if !found {
		what := map[string]string{
			PoolShared:    "shared node pool",
			PoolSegment:   fmt.Sprintf("node pool for segment %q", t.Segment),
			PoolDedicated: fmt.Sprintf("dedicated node pool for tenant %q", t.Name),
		}[tenv.NodePool]
		c.at(append(labels, "cluster"), "cluster %q has no %s, which tier %q needs for %s", pl.Cluster, what, t.Tier, tenv.Class)
	}
}

// image checks an image reference: an explicit registry, and a tag or
// digest.
func (c *checker) image(labels []string, ref string) {
	if _, err := name.ParseReference(ref, name.StrictValidation); err == nil {
		return
	}
	var err error
	if strings.Contains(ref, "@") {
		_, err = name.NewDigest(ref, name.StrictValidation)
	} else {
		_, err = name.NewTag(ref, name.StrictValidation)
	}
	reason := "want registry/repository:tag or registry/repository@sha256:digest"
	switch {
	case err == nil:
	case strings.HasPrefix(err.Error(), "tag must be between"):
		reason = "no tag or digest: " + reason
	default:
		reason = err.Error()
	}
	c.at(labels, "invalid image reference %q: %s", ref, reason)
}

func (c *checker) timeZone(labels []string, tz string) {
	if tz == "" {
		return
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		c.at(labels, "unknown time zone %q: use an IANA name such as \"Europe/Paris\"", tz)
	}
}

// window checks one freeze window: a valid zone, exactly one schedule, real
// dates, an end after the start, and a scope that names something.
func (c *checker) window(labels []string, w Window) {
	e := c.e
	if w.TimeZone != "" {
		c.timeZone(append(labels, "timeZone"), w.TimeZone)
	}
	var kinds []string
	if w.Fixed != nil {
		kinds = append(kinds, "fixed")
	}
	if w.Yearly != nil {
		kinds = append(kinds, "yearly")
	}
	if w.Monthly != nil {
		kinds = append(kinds, "monthly")
	}
	if w.Weekly != nil {
		kinds = append(kinds, "weekly")
	}
	if w.RRule != nil {
		kinds = append(kinds, "rrule")
	}
	switch len(kinds) {
	case 0:
		c.at(labels, "window %q has no schedule: give one of fixed, yearly, monthly, weekly or rrule", w.Name)
	case 1:
	default:
		c.at(labels, "window %q has %d schedules (%s): give exactly one", w.Name, len(kinds), strings.Join(kinds, ", "))
	}
	switch w.Scope.Level {
	case ScopeTier:
		if _, ok := e.Tiers[w.Scope.Name]; !ok {
			c.at(append(labels, "scope", "name"), "unknown tier %q (%s)", w.Scope.Name, known(w.Scope.Name, e.Tiers))
		}
	case ScopeSegment:
		if _, ok := e.Platform.Segments[w.Scope.Name]; !ok {
			c.at(append(labels, "scope", "name"), "unknown segment %q (%s)", w.Scope.Name, known(w.Scope.Name, e.Platform.Segments))
		}
	case ScopeTenant:
		if _, ok := e.Tenants[w.Scope.Name]; !ok {
			c.at(append(labels, "scope", "name"), "unknown tenant %q", w.Scope.Name)
		}
	}
	if f := w.Fixed; f != nil {
		start, err1 := ParseLocal(f.Start, false)
		if err1 != nil {
			c.at(append(labels, "fixed", "start"), "invalid start %q: %s", f.Start, dateProblem(err1))
		}
		end, err2 := ParseLocal(f.End, true)
		if err2 != nil {
			c.at(append(labels, "fixed", "end"), "invalid end %q: %s", f.End, dateProblem(err2))
		}
		switch {
		case err1 != nil || err2 != nil:
		case end.Equal(start):
			c.at(append(labels, "fixed", "end"), "window is empty: it ends (%s) when it starts (a date-time end is exclusive; a date alone is the whole day)", f.End)
		case end.Before(start):
			c.at(append(labels, "fixed", "end"), "window ends (%s) before it starts (%s)", f.End, f.Start)
		}
	}
	if y := w.Yearly; y != nil {
		for _, f := range []struct{ field, v string }{{"start", y.Start}, {"end", y.End}} {
			if _, err := time.Parse("2006-01-02", "2000-"+f.v); err != nil {
				c.at(append(labels, "yearly", f.field), "invalid month-day %q: %s", f.v, dateProblem(err))
			}
		}
	}
	if m := w.Monthly; m != nil && m.LastBusinessDays == 0 && m.FirstBusinessDays == 0 && len(m.Days) == 0 {
		c.at(append(labels, "monthly"), "monthly window %q covers no day: set lastBusinessDays, firstBusinessDays or days", w.Name)
	}
	if wk := w.Weekly; wk != nil && wk.From == wk.To {
		c.at(append(labels, "weekly", "to"), "weekly window %q is empty: from and to are both %s", w.Name, wk.From)
	}
	if r := w.RRule; r != nil {
		if start, err := ParseLocal(r.Start, false); err != nil {
			c.at(append(labels, "rrule", "start"), "invalid start %q: %s", r.Start, dateProblem(err))
		} else if start.IsZero() {
			// rrule-go takes a zero start for none and would read the clock.
			c.at(append(labels, "rrule", "start"), "invalid start %q: a recurrence starts after 0001-01-01T00:00", r.Start)
		}
		if _, err := ParseDuration(r.Duration); err != nil {
			c.at(append(labels, "rrule", "duration"), "%v", err)
		}
		// Whether a rule reads does not depend on the zone of its UNTIL.
		if _, err := ParseRRule(r.Rule, time.UTC); err != nil {
			c.at(append(labels, "rrule", "rule"), "invalid rule %q: %v", r.Rule, err)
		}
	}
}

// domains reports a domain claimed twice, by two tenants or two environments.
func (c *checker) domains() {
	type claim struct {
		tenant, env string
		labels      []string
	}
	seen := map[string]claim{}
	for _, tn := range c.e.TenantNames() {
		t := c.e.Tenants[tn]
		for _, en := range EnvironmentClasses {
			env, ok := t.Environments[en]
			if !ok {
				continue
			}
			for i, d := range env.Domains {
				labels := p("tenants", tn, "environments", en, "domains", strconv.Itoa(i))
				if prev, ok := seen[d]; ok {
					who := fmt.Sprintf("tenant %q (%s)", prev.tenant, prev.env)
					if prev.tenant == tn {
						who = fmt.Sprintf("this tenant's %s environment", prev.env)
					}
					c.ds.addRelated(c.e.Position(labels...), c.e.Position(prev.labels...), PathOf(labels...),
						"domain %q is already claimed by %s at %s", d, who, c.e.Position(prev.labels...))
					continue
				}
				seen[d] = claim{tenant: tn, env: en, labels: labels}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dateProblem turns a time.Parse error into a short reason.
func dateProblem(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "out of range") {
		return msg[i+2:]
	}
	if strings.Contains(msg, "out of range") {
		return "day or month out of range"
	}
	return "not a valid date"
}

// ParseLocal parses a window's local date-time: YYYY-MM-DD, YYYY-MM-DDTHH:MM
// or YYYY-MM-DDTHH:MM:SS, as a wall-clock time in UTC (callers place it in a
// zone). A date alone is midnight at its start; with end set, a date alone
// is midnight at the end of that day, so the day is included.
func ParseLocal(s string, end bool) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, err
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// ParseDuration parses a #Duration: minutes, hours or days ("15m", "4h",
// "30d").
func ParseDuration(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	switch s[len(s)-1] {
	case 'm':
		return time.Duration(n) * time.Minute, nil
	case 'h':
		return time.Duration(n) * time.Hour, nil
	case 'd':
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("invalid duration %q: use minutes (m), hours (h) or days (d)", s)
}
