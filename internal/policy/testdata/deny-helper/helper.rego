# deny as a helper the violations rule reads: nothing is unread.
package palisade.rules.helper

import data.palisade.lib

violations contains lib.violation("helper.denied", "warn", env, msg, "a fix") if {
	some env in input.environments
	some msg in deny[env.name]
}

deny[name] contains msg if {
	some env in input.environments
	name := env.name
	env.namespace == ""
	msg := sprintf("%s has no namespace", [name])
}
