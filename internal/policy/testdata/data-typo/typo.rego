# A misspelt key of the policy data: undefined for every tenant, so the
# rule would never fire.
package palisade.rules.acme

import data.acme
import data.palisade.lib

violations contains lib.object_violation("acme.owner-label", "warn", env, obj, "no owner label", "add one") if {
	some i, env in input.environments
	some obj in lib.objects_of(i, "Deployment")
	not obj.metadata.labels[acme.ownerLable]
}
