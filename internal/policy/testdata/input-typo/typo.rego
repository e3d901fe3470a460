package palisade.rules.typo

# tenant.nmae is not a field of the input: without the input's schema
# this rule would compile and never fire.
violations contains v if {
	input.tenant.nmae == "maison-laurent"
	v := {"id": "typo.rule", "severity": "warn", "message": "never"}
}
