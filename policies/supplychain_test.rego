package palisade.tests.supplychain

import data.palisade.fixtures as fx

unpinned := "registry.palisade.example/odoo/enterprise:18.0"

with_image(inp, image) := fx.set(inp, 0, "Deployment", "odoo-web", "/spec/template/spec/containers/0/image", image)

severities(id) := {v.severity | some v in fx.found(id)}

test_supply_chain_ok if {
	ids := fx.ids with input as fx.dedicated
	count({id | some id in ids; startswith(id, "supply-chain.")}) == 0
}

test_digest_denied_when_enforced if {
	inp := with_image(fx.shared, unpinned)
	fx.messages("supply-chain.digest") == {`image "registry.palisade.example/odoo/enterprise:18.0" is not pinned by digest`} with input as inp
	severities("supply-chain.digest") == {"deny"} with input as inp
	[v.image | some v in fx.found("supply-chain.digest")] == ["registry.palisade.example/odoo/enterprise"] with input as inp
}

test_digest_warns_until_enforced if {
	inp := json.patch(with_image(fx.shared, unpinned), [{"op": "replace", "path": "/supplyChain/enforced", "value": false}])
	severities("supply-chain.digest") == {"warn"} with input as inp
}

test_registry_denied if {
	inp := with_image(fx.shared, concat("", ["docker.io/library/odoo@sha256:", fx.hex("1")]))
	fx.messages("supply-chain.registry") == {sprintf(`image "docker.io/library/odoo@sha256:%s" is not from an allowed registry (registry.palisade.example/odoo, registry.palisade.example/platform/)`, [fx.hex("1")])} with input as inp
}

test_registry_prefix_is_a_path if {
	inp := with_image(fx.shared, concat("", ["registry.palisade.example/odoo-fork/enterprise@sha256:", fx.hex("1")]))
	"supply-chain.registry" in fx.ids with input as inp
}

test_signature_without_facts_denied if {
	image := concat("", ["registry.palisade.example/odoo/community@sha256:", fx.hex("9")])
	inp := with_image(fx.shared, image)
	fx.messages("supply-chain.signature") == {sprintf(`image %q has no signature verification facts`, [image])} with input as inp
}

test_signature_unverified_denied if {
	inp := json.patch(fx.shared, [
		{"op": "replace", "path": "/images/0/verified", "value": false},
		{"op": "add", "path": "/images/0/reason", "value": "no matching signatures"},
	])
	fx.messages("supply-chain.signature") == {sprintf(`image %q: signature not verified: no matching signatures`, [fx.odoo_image])} with input as inp
}

test_signature_untrusted_key_denied if {
	inp := json.patch(fx.shared, [{"op": "replace", "path": "/images/0/signer", "value": "someone-else"}])
	fx.messages("supply-chain.signature") == {sprintf(`image %q is signed by "someone-else", a key tier "shared" does not trust`, [fx.odoo_image])} with input as inp
}
