package palisade.rules.wrongtype

# input.change.environments is a list of names, not a string.
violations contains v if {
	startswith(input.change.environments, "prod")
	v := {"id": "wrongtype.rule", "severity": "warn", "message": "never"}
}
