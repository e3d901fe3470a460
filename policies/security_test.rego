package palisade.tests.security

import data.palisade.fixtures as fx

container := "/spec/template/spec/containers/0"

with_container(inp, pointer, value) := fx.set(inp, 0, "Deployment", "odoo-web", concat("", [container, pointer]), value)

test_security_ok if {
	ids := fx.ids with input as fx.dedicated
	count({id | some id in ids; startswith(id, "security.")}) == 0
}

# --- security.run-as-non-root

test_run_as_root_allowed_by_container_denied if {
	inp := with_container(fx.shared, "/securityContext/runAsNonRoot", false)
	fx.messages("security.run-as-non-root") == {`Deployment/odoo-web container "odoo" does not run as non-root (runAsNonRoot true, on the container or its pod)`} with input as inp
}

test_run_as_non_root_from_pod_accepted if {
	inp := fx.unset(fx.shared, 0, "Deployment", "odoo-web", concat("", [container, "/securityContext/runAsNonRoot"]))
	not "security.run-as-non-root" in fx.ids with input as inp
}

test_run_as_user_zero_denied if {
	inp := with_container(fx.shared, "/securityContext/runAsUser", 0)
	fx.messages("security.run-as-non-root") == {`Deployment/odoo-web container "odoo" runs as user 0 (root)`} with input as inp
}

test_pod_user_zero_denied if {
	inp := fx.set(fx.shared, 0, "Deployment", "odoo-cron", "/spec/template/spec/securityContext/runAsUser", 0)
	fx.messages("security.run-as-non-root") == {`Deployment/odoo-cron container "odoo" runs as user 0 (root)`} with input as inp
}

# --- security.privilege-escalation

test_privilege_escalation_denied if {
	inp := with_container(fx.shared, "/securityContext/allowPrivilegeEscalation", true)
	fx.messages("security.privilege-escalation") == {`Deployment/odoo-web container "odoo" does not set allowPrivilegeEscalation: false`} with input as inp
}

test_privileged_denied if {
	inp := with_container(fx.shared, "/securityContext/privileged", true)
	fx.messages("security.privilege-escalation") == {`Deployment/odoo-web container "odoo" is privileged`} with input as inp
}

# --- security.capabilities

test_capabilities_not_dropped_denied if {
	inp := with_container(fx.shared, "/securityContext/capabilities/drop", ["NET_RAW"])
	fx.messages("security.capabilities") == {`Deployment/odoo-web container "odoo" does not drop ALL capabilities`} with input as inp
}

test_capabilities_added_denied if {
	inp := with_container(fx.shared, "/securityContext/capabilities/add", ["NET_ADMIN", "NET_BIND_SERVICE"])
	fx.messages("security.capabilities") == {`Deployment/odoo-web container "odoo" adds capability NET_ADMIN`} with input as inp
}

# --- security.limits

test_limits_missing_denied if {
	inp := with_container(fx.shared, "/resources/limits", {"memory": "1Gi"})
	fx.messages("security.limits") == {`Deployment/odoo-web container "odoo" sets no cpu limit`} with input as inp
}

test_init_container_limits_checked if {
	init := {"name": "migrate", "image": fx.odoo_image, "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true}}
	inp := fx.set(fx.shared, 0, "Deployment", "odoo-web", "/spec/template/spec/initContainers", [init])
	fx.messages("security.limits") == {`Deployment/odoo-web container "migrate" sets no cpu limit`, `Deployment/odoo-web container "migrate" sets no memory limit`} with input as inp
}

# --- security.plaintext-secret

test_plaintext_secret_denied if {
	secret := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "odoo-admin", "namespace": "acme-prod"}, "data": {"password": "aHVudGVyMg=="}}
	inp := fx.with_extra(fx.shared, 0, secret)
	fx.messages("security.plaintext-secret") == {"Secret/odoo-admin would commit secret data to git"} with input as inp
}

test_plaintext_platform_secret_denied if {
	secret := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "role-acme-prod", "namespace": "postgres-shared"}, "stringData": {"password": "hunter2"}}
	inp := fx.patch(fx.shared, [{"op": "add", "path": "/environments/0/platformObjects/-", "value": secret}])
	fx.messages("security.plaintext-secret") == {"platform object Secret/role-acme-prod would commit secret data to git"} with input as inp
}

# --- security.token-automount

test_service_account_token_denied if {
	inp := fx.unset(fx.shared, 0, "ServiceAccount", "odoo", "/automountServiceAccountToken")
	fx.messages("security.token-automount") == {"ServiceAccount/odoo does not set automountServiceAccountToken: false"} with input as inp
}

test_pod_token_denied if {
	inp := fx.set(fx.shared, 0, "Deployment", "odoo-worker", "/spec/template/spec/automountServiceAccountToken", true)
	fx.messages("security.token-automount") == {"Deployment/odoo-worker mounts a service-account token (automountServiceAccountToken is not false)"} with input as inp
}

test_pod_kinds if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "acme-prod"}, "spec": {"containers": [{"name": "sh", "image": fx.odoo_image}]}}
	inp := fx.with_extra(fx.shared, 0, pod)
	fx.messages("security.limits") == {`Pod/debug container "sh" sets no cpu limit`, `Pod/debug container "sh" sets no memory limit`} with input as inp
}
