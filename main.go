// Command palisade renders and governs a multi-tenant Odoo estate for GitOps.
package main

import (
	"os"

	"github.com/palisade-gitops/palisade/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
