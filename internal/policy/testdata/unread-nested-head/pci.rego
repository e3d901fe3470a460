# A nested violations document through a rule head reference.
package palisade.rules.acme

pci.violations contains {"id": "acme.pci-label", "severity": "deny", "message": "no PCI label"} if {
	some env in input.environments
	count(env.objects) == 0
}
