# A user rule: every Odoo Deployment carries the label the platform team's
# cost reports group by (data.acme.ownerLabel, from data.yaml).
package palisade.rules.acme

import data.palisade.lib

violations contains lib.object_violation(
	"acme.owner-label", "warn", env, obj,
	sprintf("%s has no %s label", [lib.describe(obj), data.acme.ownerLabel]),
	sprintf("add the label %s to the workload", [data.acme.ownerLabel]),
) if {
	some i, env in input.environments
	some obj in lib.objects_of(i, "Deployment")
	not obj.metadata.labels[data.acme.ownerLabel]
}
