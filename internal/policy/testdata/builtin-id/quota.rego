# A stricter quota rule that borrows the built-in rule's id.
package palisade.rules.acme

import data.palisade.lib

violations contains lib.violation(
	"isolation.quota", "deny", env,
	"no quota", "add one",
) if {
	some env in input.environments
	count(lib.objects_of(0, "ResourceQuota")) > 1
}
