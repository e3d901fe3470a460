package palisade.rules.acme_test

import data.palisade.rules.acme

test_unlabelled_deployment_warns if {
	inp := {"environments": [{"name": "production", "objects": [{"kind": "Deployment", "metadata": {"name": "odoo-web", "namespace": "acme-prod"}}]}]}
	count(acme.violations) == 1 with input as inp
}

test_labelled_deployment_passes if {
	inp := {"environments": [{"name": "production", "objects": [{"kind": "Deployment", "metadata": {"name": "odoo-web", "labels": {"acme.example/owner": "shop"}}}]}]}
	count(acme.violations) == 0 with input as inp
}
