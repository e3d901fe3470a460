package palisade.rules.bounds

# A tier environment's replica bounds are min, default and max.
violations contains v if {
	some env in input.environments
	input.tier.environments[env.class].replicas.web.minimum > 2
	v := {"id": "bounds.rule", "severity": "warn", "message": "never"}
}
