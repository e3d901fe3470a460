// Package estategen writes synthetic estates of any size for benchmarks and
// scale tests: a platform with regions, clusters, segments and node pools,
// the three tiers, and tenants in a realistic mix (most shared, a quarter
// segmented, a few dedicated) with environments, integrations, calendars and
// waivers. The output is deterministic for given options.
package estategen

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Options size the estate.
type Options struct {
	// Tenants is the number of tenants.
	Tenants int
	// Seed makes the mix reproducible; the same seed gives the same files.
	Seed uint64
	// PublicKeyPEM is written as keys/release.pub; empty writes a fixed
	// test key.
	PublicKeyPEM string
}

// testKey is a P-256 public key used only by synthetic estates.
const testKey = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdhWLJ/PC+FnC0ry7eU/hvdPvdsg7
0jGekx5CC0CDAcBdr/nvKRPRi6UoZcBwDrbberkM2DwUsAdPuUpMWcmCgQ==
-----END PUBLIC KEY-----
`

var regions = []struct{ name, tz string }{
	{"eu-west", "Europe/Paris"},
	{"eu-central", "Europe/Berlin"},
	{"us-east", "America/New_York"},
}

const segmentsPerRegion = 4

// tenant is one generated tenant's shape.
type tenant struct {
	name, tier, segment, region, tz string
	standby                         string // region of the standby, dedicated only
	envs                            []string
}

// Write writes the estate into dir, which is created if needed.
func Write(dir string, o Options) error {
	if o.Tenants < 1 {
		return fmt.Errorf("estategen: need at least one tenant, got %d", o.Tenants)
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x9a11_5ade))
	ts := make([]tenant, o.Tenants)
	for i := range ts {
		reg := i % len(regions)
		t := tenant{name: fmt.Sprintf("tenant-%05d", i), region: regions[reg].name, tz: regions[reg].tz}
		switch x := r.IntN(100); {
		case x < 5:
			t.tier = "dedicated"
			t.standby = regions[(reg+1)%len(regions)].name
		case x < 30:
			t.tier = "segmented"
			t.segment = fmt.Sprintf("%s-seg%d", t.region, r.IntN(segmentsPerRegion))
		default:
			t.tier = "shared"
		}
		t.envs = []string{"production", "staging"}
		if r.IntN(3) == 0 {
			t.envs = append(t.envs, "development")
		}
		ts[i] = t
	}
	files := map[string]string{
		"platform.cue":        platform(ts),
		"keys/release.pub":    keyOr(o.PublicKeyPEM),
		"tiers/shared.cue":    tier("shared", "shared", "shared", "shared-cluster", 2),
		"tiers/segmented.cue": tier("segmented", "segmented", "segment", "segment-cluster", 2),
		"tiers/dedicated.cue": tier("dedicated", "dedicated", "dedicated", "dedicated-cluster", 3),
	}
	for i, t := range ts {
		files["tenants/"+t.name+".cue"] = tenantFile(t, i, r)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func keyOr(pem string) string {
	if pem == "" {
		return testKey
	}
	return pem
}

func platform(ts []tenant) string {
	var b strings.Builder
	b.WriteString("package estate\n\nplatform: {\n\tname: \"synthetic\"\n\ttimeZone: \"UTC\"\n")
	b.WriteString("\tregistries: allowed: [\"registry.synthetic.test/odoo\"]\n")
	b.WriteString("\tkeys: release: publicKey: \"keys/release.pub\"\n")
	b.WriteString("\timages: {postgres: \"registry.synthetic.test/odoo/postgresql:16.6\", redis: \"registry.synthetic.test/odoo/redis:7.4\", backup: \"registry.synthetic.test/odoo/rclone:1.68\", restoreTest: \"registry.synthetic.test/odoo/restore-test:1.2\"}\n")
	b.WriteString("\tgitops: repoURL: \"https://git.synthetic.test/env.git\"\n")
	b.WriteString("\tcalendar: \"month-end\": {kind: \"financial-close\", monthly: {lastBusinessDays: 2, firstBusinessDays: 1}}\n")
	dedicated := map[string][]string{} // cluster → tenants
	for _, t := range ts {
		if t.tier != "dedicated" {
			continue
		}
		dedicated[t.region+"-prod"] = append(dedicated[t.region+"-prod"], t.name)
		dedicated[t.region+"-nonprod"] = append(dedicated[t.region+"-nonprod"], t.name)
		dedicated[t.standby+"-prod"] = append(dedicated[t.standby+"-prod"], t.name)
	}
	for _, reg := range regions {
		fmt.Fprintf(&b, "\tregions: %q: zones: [\"%[1]s-a\", \"%[1]s-b\", \"%[1]s-c\"]\n", reg.name)
		fmt.Fprintf(&b, "\tobjectStorage: %q: {endpoint: \"https://s3.%[1]s.synthetic.test\", bucket: \"backups-%[1]s\"}\n", reg.name)
		for s := range segmentsPerRegion {
			fmt.Fprintf(&b, "\tsegments: \"%s-seg%d\": basis: \"geography\"\n", reg.name, s)
		}
		for _, kind := range []string{"prod", "nonprod"} {
			cl := reg.name + "-" + kind
			fmt.Fprintf(&b, "\tclusters: %q: {\n\t\tregion: %q\n\t\tzones: [\"%[2]s-a\", \"%[2]s-b\", \"%[2]s-c\"]\n\t\tserver: \"https://%[1]s.synthetic.test\"\n", cl, reg.name)
			b.WriteString("\t\tnodePools: general: class: \"shared\"\n")
			for s := range segmentsPerRegion {
				fmt.Fprintf(&b, "\t\tnodePools: \"seg%d\": {class: \"segment\", segment: \"%s-seg%d\"}\n", s, reg.name, s)
			}
			for _, tn := range dedicated[cl] {
				fmt.Fprintf(&b, "\t\tnodePools: \"ded-%s\": {class: \"dedicated\", tenant: %q}\n", tn, tn)
			}
			b.WriteString("\t}\n")
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func tier(name, isolation, pool, db string, zones int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package estate\n\ntiers: %s: {\n\tisolation: %q\n\tsigningKeys: [\"release\"]\n\tenvironments: {\n", name, isolation)
	for _, env := range []string{"production", "staging", "development"} {
		prod := env == "production"
		z, mn, df, mx := 1, 1, 1, 2
		if prod {
			z, mn, df, mx = zones, 2, 3, 8
		}
		fmt.Fprintf(&b, "\t\t%s: {\n", env)
		for _, w := range []string{"web", "cron", "worker", "longpolling"} {
			fmt.Fprintf(&b, "\t\t\treplicas: %s: {min: %d, default: %d, max: %d}\n", w, mn, df, mx)
			fmt.Fprintf(&b, "\t\t\tresources: %s: {requests: {cpu: \"250m\", memory: \"512Mi\"}, limits: {cpu: \"1\", memory: \"1Gi\"}}\n", w)
		}
		fmt.Fprintf(&b, "\t\t\tzones: %d\n\t\t\tnodePool: %q\n", z, pool)
		switch {
		case db == "dedicated-cluster" && prod:
			fmt.Fprintf(&b, "\t\t\tdatabase: {placement: %q, instances: 3, synchronousReplicas: 1, pooler: enabled: true, storageSize: \"100Gi\"}\n", db)
			b.WriteString("\t\t\tredis: {mode: \"dedicated\", replicas: 2}\n")
			b.WriteString("\t\t\tbackup: {rpo: \"5m\", schedule: \"0 */6 * * *\", retention: \"90d\", pitr: true, crossRegion: true, restoreTest: schedule: \"0 4 * * 6\"}\n")
		case db == "dedicated-cluster":
			fmt.Fprintf(&b, "\t\t\tdatabase: {placement: %q, storageSize: \"20Gi\"}\n", db)
			b.WriteString("\t\t\tredis: mode: \"dedicated\"\n")
			b.WriteString("\t\t\tbackup: {rpo: \"24h\", schedule: \"0 3 * * *\", retention: \"7d\"}\n")
		default:
			fmt.Fprintf(&b, "\t\t\tdatabase: {placement: %q, storageSize: \"20Gi\"}\n", db)
			b.WriteString("\t\t\tredis: mode: \"shared\"\n")
			b.WriteString("\t\t\tbackup: {rpo: \"24h\", schedule: \"0 2 * * *\", retention: \"14d\"}\n")
		}
		fmt.Fprintf(&b, "\t\t\tautoscaling: {enabled: %v, signals: [\"queue-depth\", \"latency\"], maxReplicas: {web: 10, worker: 10}}\n", prod)
		b.WriteString("\t\t\tquota: {cpu: \"32\", memory: \"64Gi\", pods: 80, storage: \"1Ti\"}\n")
		b.WriteString("\t\t\tstorageClasses: {filestore: \"standard-rwx\", database: \"standard-ssd\"}\n")
		b.WriteString("\t\t\tfilestoreSize: \"20Gi\"\n")
		if !prod {
			b.WriteString("\t\t\tuptime: {days: [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], from: \"07:00\", to: \"20:00\"}\n")
		}
		b.WriteString("\t\t}\n")
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

func tenantFile(t tenant, i int, r *rand.Rand) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package estate\n\ntenants: %q: {\n", t.name)
	fmt.Fprintf(&b, "\tbrand: \"Brand %d\"\n\tcontacts: owner: {name: \"Owner %d\", email: \"owner@%s.synthetic.test\"}\n", i, i, t.name)
	fmt.Fprintf(&b, "\ttier: %q\n\ttimeZone: %q\n", t.tier, t.tz)
	if t.segment != "" {
		fmt.Fprintf(&b, "\tsegment: %q\n", t.segment)
	}
	fmt.Fprintf(&b, "\todoo: {\n\t\tversion: \"18.0\"\n\t\timage: \"registry.synthetic.test/odoo/enterprise:18.0-%d\"\n", i%25)
	b.WriteString("\t\tmodules: [\"website_sale\", \"stock\", \"account\"]\n\t}\n")
	for _, env := range t.envs {
		kind := "nonprod"
		if env == "production" {
			kind = "prod"
		}
		fmt.Fprintf(&b, "\tenvironments: %s: {\n\t\tplacement: {region: %q, cluster: \"%s-%s\"}\n", env, t.region, t.region, kind)
		if env == "production" && t.standby != "" {
			fmt.Fprintf(&b, "\t\tstandby: {region: %q, cluster: \"%s-prod\"}\n", t.standby, t.standby)
		}
		fmt.Fprintf(&b, "\t\tdomains: [\"%s.%s.synthetic.test\"]\n", env, t.name)
		if env == "production" && r.IntN(4) == 0 {
			fmt.Fprintf(&b, "\t\treplicas: web: %d\n", 2+r.IntN(6))
		}
		b.WriteString("\t}\n")
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "\tintegrations: marketplace: {kind: \"marketplace\", vendor: \"Market\", schedule: \"*/5 * * * *\", endpoints: [{host: \"api.market.synthetic.test\", cidr: \"198.51.100.%d/32\", port: 443}]}\n", i%250)
	}
	if r.IntN(5) == 0 {
		fmt.Fprintf(&b, "\tcalendar: \"summer-sale\": {kind: \"promotion\", fixed: {start: \"2027-06-%02d\", end: \"2027-07-%02d\"}}\n", 1+r.IntN(20), 1+r.IntN(20))
	}
	if r.IntN(10) == 0 {
		b.WriteString("\twaivers: \"legacy-image\": {policy: \"supply-chain.signature\", reason: \"vendor image re-signed next sprint\", ticket: \"SEC-1\", approver: \"security@synthetic.test\", expires: \"2027-03-31T23:59:59Z\"}\n")
	}
	b.WriteString("}\n")
	return b.String()
}
