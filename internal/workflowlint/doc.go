// Package workflowlint is the entry point for checking the repository's
// GitHub Actions files: every workflow under .github/workflows and every
// action under .github/actions/*/ is linted with actionlint (shellcheck and
// pyflakes off) and held to the house rules: actions pinned by commit,
// least-privilege permissions declared, no ${{ }} expressions in scripts,
// checkouts that do not keep the token, and serialised workflows that are
// never cancelled. Its test runs Check on this repository.
package workflowlint
