# A conftest rule ported beside the violations rule, which never reads it.
package palisade.rules.ported

import data.palisade.lib

violations contains lib.violation("ported.namespace", "warn", env, "a warning", "a fix") if {
	some env in input.environments
	env.namespace == ""
}

deny contains msg if {
	some env in input.environments
	msg := sprintf("%s is denied", [env.name])
}
