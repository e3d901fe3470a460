# A misspelt helper of data.palisade.lib (pods): undefined for every
# tenant, so the rule would never fire.
package palisade.rules.acme

import data.palisade.lib

violations contains lib.violation("acme.host", "deny", input.environments[key[0]], "host network", "drop it") if {
	some key, spec in lib.pod
	spec.hostNetwork
}
