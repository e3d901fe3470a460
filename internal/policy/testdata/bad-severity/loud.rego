package palisade.rules.loud

violations contains {"id": "loud.rule", "severity": "error", "message": "severity is neither deny nor warn"} if {
	count(input.environments) > 0
}
