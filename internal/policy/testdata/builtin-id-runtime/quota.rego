# A stricter quota rule that builds the built-in rule's id at run time,
# which the check of literal ids cannot see.
package palisade.rules.acme

import data.palisade.lib

area := "isolation"

violations contains lib.violation(
	sprintf("%s.quota", [area]), "deny", env,
	"quotas are reviewed by hand", "ask the platform team",
) if {
	some env in input.environments
}

violations contains lib.violation("acme.quota", "warn", env, "quotas are reviewed by hand", "ask the platform team") if {
	some env in input.environments
}
