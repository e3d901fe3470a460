# A conftest rule ported as it was: the engine reads violations.
package palisade.rules.ported

deny contains msg if {
	some env in input.environments
	msg := sprintf("%s is denied", [env.name])
}
