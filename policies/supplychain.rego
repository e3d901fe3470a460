# METADATA
# title: Supply chain
# description: |
#   Every image an environment runs is pinned by digest, comes from a
#   registry the platform allows and carries a signature by a key the tier
#   trusts. Until the image-verification stage sets
#   input.supplyChain.enforced, these rules warn instead of denying.
package palisade.rules.supplychain

import data.palisade.lib

# The environments of a tenant mostly run the same images: each image is
# checked once, and reported for every environment that runs it.
all_images := {img | some imgs in lib.images; some img in imgs}

unpinned := {img | some img in all_images; not lib.pinned(img)}

unallowed := {img | some img in all_images; not allowed_registry(img)}

unsigned := {[img, msg] | some img in all_images; some msg in signature_problems(img)}

violations contains image_violation(
	"supply-chain.digest", env, img,
	sprintf("image %q is not pinned by digest", [img]),
	"pin the image by its sha256 digest (palisade resolves and pins verified digests when it renders)",
) if {
	some img in unpinned
	some i, env in input.environments
	img in lib.images[i]
}

violations contains image_violation(
	"supply-chain.registry", env, img,
	sprintf("image %q is not from an allowed registry (%s)", [img, concat(", ", input.platform.registries.allowed)]),
	"mirror the image into an allowed registry, or add the registry to platform.registries.allowed",
) if {
	some img in unallowed
	some i, env in input.environments
	img in lib.images[i]
}

violations contains image_violation(
	"supply-chain.signature", env, img,
	msg,
	sprintf("sign the image with one of the keys tier %q trusts (%s)", [input.tier.name, concat(", ", input.tier.signingKeys)]),
) if {
	some [img, msg] in unsigned
	some i, env in input.environments
	img in lib.images[i]
}

image_violation(id, env, img, msg, fix) := object.union(
	lib.violation(id, lib.supply_chain_severity, env, msg, fix),
	{"image": lib.repository(img)},
)

allowed_registry(img) if {
	repo := lib.repository(img)
	some prefix in input.platform.registries.allowed
	p := trim_suffix(prefix, "/")
	startswith(concat("", [repo, "/"]), concat("", [p, "/"]))
}

signature_problems(img) := {sprintf("image %q has no signature verification facts", [img])} if {
	not lib.image_facts(img)
} else := {msg |
	some f in lib.image_facts(img)
	not f.verified
	msg := sprintf("image %q: signature not verified: %s", [img, object.get(f, "reason", "no reason given")])
} | {msg |
	some f in lib.image_facts(img)
	f.verified
	not f.signer in input.tier.signingKeys
	msg := sprintf("image %q is signed by %q, a key tier %q does not trust", [img, f.signer, input.tier.name])
}
