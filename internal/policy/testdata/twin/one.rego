# The same violation from two packages, reported once as Query's set has it.
package palisade.rules.one

violations contains {"id": "acme.twin", "severity": "warn", "message": "reported once"} if {
	some env in input.environments
	env.class == "production"
}
