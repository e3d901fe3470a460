package cli

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
	checkreport "github.com/palisade-gitops/palisade/internal/report"
)

// WaiverOptions name one waiver of the estate.
type WaiverOptions struct {
	Estate   EstateOptions
	Tenant   string
	Platform bool
	Waiver   string
	// Key is the approver's cosign private key (sign only).
	Key string
}

func (o *WaiverOptions) addFlags(cmd *cobra.Command) {
	o.Estate.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Tenant, "tenant", "", "the tenant whose waiver it is")
	f.BoolVar(&o.Platform, "platform", false, "a platform waiver (platform.waivers)")
	f.StringVar(&o.Waiver, "waiver", "", "the waiver's id")
}

// find loads the estate and returns the waiver named, and whose it is (a
// tenant's name, empty for the platform).
func (o *WaiverOptions) find() (estate.Waiver, string, string, error) {
	switch {
	case o.Waiver == "":
		return estate.Waiver{}, "", "", fmt.Errorf("give --waiver ID, with --tenant NAME or --platform")
	case (o.Tenant == "") == !o.Platform:
		return estate.Waiver{}, "", "", fmt.Errorf("give either --tenant NAME or --platform: whose waiver %q is", o.Waiver)
	}
	e, err := estate.Load(o.Estate.Root)
	if err != nil {
		return estate.Waiver{}, "", "", err
	}
	ws := e.Platform.Waivers
	if o.Tenant != "" {
		t, ok := e.Tenants[o.Tenant]
		if !ok {
			return estate.Waiver{}, "", "", e.UnknownTenant(o.Tenant)
		}
		ws = t.Waivers
	}
	w, ok := ws[o.Waiver]
	if !ok {
		return estate.Waiver{}, "", "", fmt.Errorf("no waiver %q there (the waivers: %s)", o.Waiver, checkreport.Names(slices.Sorted(maps.Keys(ws)), 8))
	}
	if w.ID == "" {
		w.ID = o.Waiver
	}
	return w, o.Tenant, e.Position(policy.WaiverPath(o.Tenant, o.Waiver)...).String(), nil
}

func newWaiverCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "waiver",
		Short: "Draft waivers, and sign them: an approver's signature puts a waiver in force",
		Long: `'waiver draft' writes a waiver — by default the break-glass waiver a
freeze denial asks for — checked against the estate before it is added.

When the platform names its approvers (platform.approvers: e-mail address
and cosign public key), a waiver, tenant or platform, is in force only when
its approver is one of them and it carries the approver's signature of it:
merging a waiver no longer approves it. 'waiver payload' prints the exact
bytes an approver signs (every field of the waiver but its signature, and
whose it is); 'waiver sign' signs them with the approver's cosign key. The
base64 signature goes into the waiver as signature: "...". Any change to
the waiver, its expiry included, needs a new signature.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newWaiverDraftCommand(), newWaiverPayloadCommand(), newWaiverSignCommand())
	return cmd
}

func newWaiverPayloadCommand() *cobra.Command {
	o := &WaiverOptions{}
	cmd := &cobra.Command{
		Use:   "payload (--tenant NAME | --platform) --waiver ID",
		Short: "Print what an approver signs to approve a waiver",
		Long: `Payload prints the canonical JSON an approver signs to approve the waiver,
for signing with other tooling: cosign sign-blob --key <key> (a KMS key or a
hardware token among them) writes the base64 signature the waiver takes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, owner, _, err := o.find()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(estate.WaiverPayload(owner, w))
			return err
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newWaiverSignCommand() *cobra.Command {
	o := &WaiverOptions{}
	cmd := &cobra.Command{
		Use:   "sign (--tenant NAME | --platform) --waiver ID --key FILE",
		Short: "Sign a waiver with the approver's cosign key",
		Long: `Sign signs the waiver's payload ('palisade waiver payload') with the
approver's cosign private key (password: $COSIGN_PASSWORD) and prints the
base64 signature, to add to the waiver as signature: "...". The password
is never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Key == "" {
				return fmt.Errorf("give --key FILE: the approver's cosign private key")
			}
			w, owner, where, err := o.find()
			if err != nil {
				return err
			}
			pem, err := os.ReadFile(o.Key)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			sv, err := cosign.LoadPrivateKey(pem, []byte(os.Getenv("COSIGN_PASSWORD")), nil)
			if err != nil {
				return fmt.Errorf("--key %s: not a cosign private key that $COSIGN_PASSWORD opens: %v", o.Key, err)
			}
			sig, err := sv.SignMessage(bytes.NewReader(estate.WaiverPayload(owner, w)))
			if err != nil {
				return fmt.Errorf("signing: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), base64.StdEncoding.EncodeToString(sig))
			printSignHint(cmd.ErrOrStderr(), w, where)
			return nil
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.Key, "key", "", "the approver's cosign private key (password: $COSIGN_PASSWORD)")
	return cmd
}

func printSignHint(w io.Writer, wv estate.Waiver, where string) {
	fmt.Fprintf(w, "add it to waiver %q (%s) as signature: \"...\"; it approves the waiver as it stands, for %s\n", wv.ID, where, wv.Approver)
}
