package palisade.rules.typo

violations contains v if {
	some env in input.environments
	v := {"id": "typo.rule", "severity": "warn", "message": sprintf_typo("%s", [env.name])}
}
