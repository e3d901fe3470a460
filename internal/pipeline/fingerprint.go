package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
)

// Fingerprints hash, per tenant, everything of the estate its render reads:
// the platform (clusters, segments, calendars, keys, platform images), its
// tier, the tenant itself and the digests its images resolved to. Two
// estates whose fingerprints of a tenant agree render that tenant
// identically, so a pull-request check renders only the tenants whose
// fingerprints differ — and then lets the renders decide what changed.
func Fingerprints(p *Prepared) (map[string]string, error) {
	e := p.Estate
	shared := sha256.New()
	enc := json.NewEncoder(shared)
	// The platform's waivers render nothing: they only let platform
	// changes through, which every render judges anew.
	pl := e.Platform
	pl.Waivers = nil
	if err := enc.Encode(pl); err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(e.Keys)) {
		shared.Write([]byte(k))
		shared.Write(e.Keys[k])
	}
	for _, k := range slices.Sorted(maps.Keys(e.Keyless)) {
		if err := enc.Encode([]any{k, e.Keyless[k]}); err != nil {
			return nil, err
		}
	}
	digests := p.Images.Digests()
	for _, ref := range platformImages(e) {
		shared.Write([]byte(ref + "=" + digests[ref] + "\n"))
	}
	base := shared.Sum(nil)
	tiers := map[string][]byte{}
	for n, t := range e.Tiers {
		data, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		tiers[n] = data
	}
	out := map[string]string{}
	for n, t := range e.Tenants {
		h := sha256.New()
		h.Write(base)
		h.Write(tiers[t.Tier])
		data, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		h.Write(data)
		// Whether each waiver is approved depends on the approvers' keys
		// too, which the tenant does not hold.
		for _, id := range slices.Sorted(maps.Keys(t.Waivers)) {
			h.Write([]byte(id + "\x00" + t.Waivers[id].NotApproved + "\n"))
		}
		refs := []string{t.Odoo.Image}
		for _, env := range t.Environments {
			refs = append(refs, env.Image)
		}
		slices.Sort(refs)
		for _, ref := range slices.Compact(refs) {
			h.Write([]byte(ref + "=" + digests[ref] + "\n"))
		}
		out[n] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}
