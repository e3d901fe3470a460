# METADATA
# title: Palisade governance entry point
# description: |
#   violations gathers the violations of every rule package directly
#   under palisade.rules, the built-in ones and the user's, into one set:
#   what the engine evaluates once per tenant, reading it package by
#   package to know which package gave each violation.
package palisade

violations contains v if {
	some v in data.palisade.rules[_].violations
}
