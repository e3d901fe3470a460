package palisade.rules.broken

violations contains v if {
	v := {"id": "broken.rule" "severity": "deny"}
}
