# References the data check follows, and those it leaves alone: all fine.
package palisade.rules.acme

import data.acme.costCentres as centres
import data.palisade.lib

violations contains lib.object_violation("acme.cost-centre", "warn", env, obj, msg, "add one") if {
	some i, env in input.environments
	some obj in lib.objects_of(i, "Deployment")
	# A key read with object.get may be absent.
	strict := object.get(data.acme, "strict", false)
	# A variable, a computed key or an array index stops the check.
	some brand in data.acme.brands
	data.acme.brands[0] == brand
	not centres[input.tenant.name]
	# The package's own rules are not data.
	not data.palisade.rules.acme.exempt
	msg := sprintf("%s: no cost centre (%v)", [obj.metadata.name, strict])
}

exempt if input.tenant.name == data.acme.costCentres.shop
