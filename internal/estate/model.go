package estate

import "time"

// Estate is the typed, validated model of an estate: the platform, its tiers
// and its tenants. Later stages read it without touching CUE again.
type Estate struct {
	// Root is the estate directory the model was loaded from.
	Root string `json:"-"`

	Platform Platform           `json:"platform"`
	Tiers    map[string]*Tier   `json:"tiers"`
	Tenants  map[string]*Tenant `json:"tenants"`

	// Keys holds the PEM text of each platform signing key, by key name;
	// Keyless the keyless signers, by name (a name is in one or the other).
	Keys    map[string][]byte       `json:"-"`
	Keyless map[string]KeylessTrust `json:"-"`

	// Files lists the estate's CUE files, relative to Root, sorted.
	Files []string `json:"-"`

	positions positionIndex
	// files records each CUE file, and entangled whether a file reads
	// the tenants as a whole or a tenant file is not self-contained: see
	// LoadFSBeside.
	files     map[string]fileInfo
	entangled bool
}

// Platform is #Platform.
type Platform struct {
	Name          string                   `json:"name"`
	TimeZone      string                   `json:"timeZone"`
	Regions       map[string]Region        `json:"regions"`
	Clusters      map[string]Cluster       `json:"clusters"`
	Registries    Registries               `json:"registries"`
	Images        PlatformImages           `json:"images"`
	GitOps        GitOps                   `json:"gitops"`
	Keys          map[string]SigningKey    `json:"keys"`
	Segments      map[string]Segment       `json:"segments"`
	ObjectStorage map[string]ObjectStorage `json:"objectStorage"`
	Calendar      map[string]Window        `json:"calendar"`
	Holidays      []string                 `json:"holidays"`
	// Waivers are the platform's break-glass waivers (#PlatformWaiver).
	Waivers map[string]Waiver `json:"waivers"`
	// Approvers are the people whose signatures put waivers in force;
	// none means whoever merges a waiver approves it.
	Approvers map[string]Approver `json:"approvers"`
}

// Approver is #Approver.
type Approver struct {
	Email       string `json:"email"`
	PublicKey   string `json:"publicKey"`
	Description string `json:"description,omitempty"`
}

// PlatformImages are the images of the platform's own workloads.
type PlatformImages struct {
	Postgres    string `json:"postgres"`
	Redis       string `json:"redis"`
	Backup      string `json:"backup"`
	RestoreTest string `json:"restoreTest"`
}

// GitOps is how Argo CD or Flux reach the environment repository.
type GitOps struct {
	RepoURL     string `json:"repoURL"`
	Revision    string `json:"revision"`
	SecretStore string `json:"secretStore"`
	// CommitSigning, when set, are the keys render commits must be
	// signed with for the GitOps controller to apply them.
	CommitSigning *CommitSigning `json:"commitSigning,omitempty"`
}

// CommitSigning are the render job's OpenPGP keys, as the GitOps
// controller verifies render commits with them.
type CommitSigning struct {
	PublicKeys []string `json:"publicKeys"`
	FluxSecret string   `json:"fluxSecret"`
	// ArgoCDKeys renders argocd-gpg-keys-cm with the keys.
	ArgoCDKeys bool `json:"argocdKeys"`
	// Keys are the keys PublicKeys name, in order.
	Keys []CommitKey `json:"-"`
}

// CommitKey is an OpenPGP public key render commits may be signed with.
type CommitKey struct {
	// KeyID is the key's 16-hex-digit ID, as Argo CD names keys, and
	// Fingerprint its full fingerprint (upper case); Armored the public
	// key itself.
	KeyID       string
	Fingerprint string
	Armored     []byte
}

// KeyIDs are the IDs of the keys.
func (cs *CommitSigning) KeyIDs() []string {
	ids := make([]string, len(cs.Keys))
	for i, k := range cs.Keys {
		ids[i] = k.KeyID
	}
	return ids
}

// Region is #Region.
type Region struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Zones       []string `json:"zones"`
}

// Cluster is #Cluster.
type Cluster struct {
	Name      string              `json:"name"`
	Region    string              `json:"region"`
	Zones     []string            `json:"zones"`
	Server    string              `json:"server"`
	NodePools map[string]NodePool `json:"nodePools"`
}

// NodePool classes.
const (
	PoolShared    = "shared"
	PoolSegment   = "segment"
	PoolDedicated = "dedicated"
)

// NodePool is #NodePool.
type NodePool struct {
	Name        string   `json:"name"`
	Class       string   `json:"class"`
	Segment     string   `json:"segment,omitempty"`
	Tenant      string   `json:"tenant,omitempty"`
	MachineType string   `json:"machineType,omitempty"`
	Zones       []string `json:"zones,omitempty"`
}

// Registries is the platform's image source policy.
type Registries struct {
	Allowed []string          `json:"allowed"`
	Mirrors map[string]Mirror `json:"mirrors"`
}

// Mirror maps a registry host to a local OCI image layout.
type Mirror struct {
	Path string `json:"path"`
}

// SigningKey is #SigningKey.
type SigningKey struct {
	Name        string   `json:"name"`
	PublicKey   string   `json:"publicKey,omitempty"`
	Keyless     *Keyless `json:"keyless,omitempty"`
	Description string   `json:"description,omitempty"`
}

// Keyless is #Keyless.
type Keyless struct {
	Roots           string `json:"roots,omitempty"`
	RekorPublicKey  string `json:"rekorPublicKey,omitempty"`
	TrustedRoot     string `json:"trustedRoot,omitempty"`
	CTLogPublicKey  string `json:"ctLogPublicKey,omitempty"`
	TSACertificates string `json:"tsaCertificates,omitempty"`
	OIDCIssuer      string `json:"oidcIssuer"`
	Identity        string `json:"identity,omitempty"`
	IdentityRegexp  string `json:"identityRegexp,omitempty"`
}

// KeylessTrust is a keyless signer as validated: its CA roots and log key
// (PEM), or its trusted root (JSON), as read; its identity.
type KeylessTrust struct {
	RootsPEM, RekorPublicKeyPEM, TrustedRootJSON []byte
	// CTLogPublicKeyPEM is the certificate transparency log's key, and
	// TSAChainPEM a timestamping authority's certificate chain, with
	// RootsPEM.
	CTLogPublicKeyPEM, TSAChainPEM       []byte
	OIDCIssuer, Identity, IdentityRegexp string
}

// Segment is #Segment.
type Segment struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Basis       string `json:"basis"`
}

// ObjectStorage is where one region's backups go.
type ObjectStorage struct {
	Endpoint string `json:"endpoint"`
	Bucket   string `json:"bucket"`
}

// Isolation models of tiers.
const (
	IsolationShared    = "shared"
	IsolationSegmented = "segmented"
	IsolationDedicated = "dedicated"
)

// Environment classes.
const (
	Production  = "production"
	Staging     = "staging"
	Development = "development"
)

// EnvironmentClasses lists the classes in their canonical order.
var EnvironmentClasses = []string{Production, Staging, Development}

// Workload classes: the separately deployed Odoo workloads.
const (
	Web         = "web"
	Cron        = "cron"
	Worker      = "worker"
	LongPolling = "longpolling"
)

// WorkloadClasses lists the workload classes in their canonical order.
var WorkloadClasses = []string{Web, Cron, Worker, LongPolling}

// Tier is #Tier.
type Tier struct {
	Name         string                      `json:"name"`
	Description  string                      `json:"description,omitempty"`
	Isolation    string                      `json:"isolation"`
	SigningKeys  []string                    `json:"signingKeys"`
	Calendar     map[string]Window           `json:"calendar"`
	Environments map[string]*TierEnvironment `json:"environments"`
}

// TierEnvironment is #TierEnvironment: the bounds and defaults one
// environment class of a tier gets.
type TierEnvironment struct {
	Class          string                   `json:"class"`
	Replicas       map[string]ReplicaBounds `json:"replicas"`
	Resources      map[string]Resources     `json:"resources"`
	Zones          int                      `json:"zones"`
	PDB            PDB                      `json:"pdb"`
	NodePool       string                   `json:"nodePool"`
	Database       Database                 `json:"database"`
	Redis          Redis                    `json:"redis"`
	Backup         Backup                   `json:"backup"`
	Autoscaling    Autoscaling              `json:"autoscaling"`
	Quota          Quota                    `json:"quota"`
	StorageClasses StorageClasses           `json:"storageClasses"`
	FilestoreSize  string                   `json:"filestoreSize"`
	Uptime         *Uptime                  `json:"uptime,omitempty"`
}

// ReplicaBounds are a workload class's replica bounds and default.
type ReplicaBounds struct {
	Min     int `json:"min"`
	Default int `json:"default"`
	Max     int `json:"max"`
}

// Resources are container requests and limits.
type Resources struct {
	Requests ResourceList `json:"requests"`
	Limits   ResourceList `json:"limits"`
}

// ResourceList is cpu and memory quantities.
type ResourceList struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// PDB is the PodDisruptionBudget policy.
type PDB struct {
	Enabled        bool `json:"enabled"`
	MaxUnavailable int  `json:"maxUnavailable"`
}

// Database placements.
const (
	DBSharedCluster    = "shared-cluster"
	DBSegmentCluster   = "segment-cluster"
	DBDedicatedCluster = "dedicated-cluster"
)

// Database is the tier's PostgreSQL topology.
type Database struct {
	Placement           string `json:"placement"`
	Instances           int    `json:"instances"`
	SynchronousReplicas int    `json:"synchronousReplicas"`
	Pooler              Pooler `json:"pooler"`
	StorageSize         string `json:"storageSize"`
}

// Pooler is the connection pooler in front of a dedicated cluster.
type Pooler struct {
	Enabled   bool   `json:"enabled"`
	Instances int    `json:"instances"`
	Mode      string `json:"mode"`
}

// Redis is the tier's Redis topology.
type Redis struct {
	Mode     string `json:"mode"`
	Replicas int    `json:"replicas"`
}

// Backup is the tier's backup and recovery policy.
type Backup struct {
	RPO         string       `json:"rpo"`
	Schedule    string       `json:"schedule"`
	Retention   string       `json:"retention"`
	PITR        bool         `json:"pitr"`
	CrossRegion bool         `json:"crossRegion"`
	RestoreTest *RestoreTest `json:"restoreTest,omitempty"`
}

// RestoreTest schedules a recovery drill.
type RestoreTest struct {
	Schedule string `json:"schedule"`
}

// Autoscaling is the tier's autoscaling policy.
type Autoscaling struct {
	Enabled     bool           `json:"enabled"`
	Signals     []string       `json:"signals"`
	MaxReplicas map[string]int `json:"maxReplicas"`
}

// Quota is the tier's ResourceQuota.
type Quota struct {
	CPU     string `json:"cpu"`
	Memory  string `json:"memory"`
	Pods    int    `json:"pods"`
	Storage string `json:"storage"`
}

// StorageClasses of the filestore and database volumes.
type StorageClasses struct {
	Filestore string `json:"filestore"`
	Database  string `json:"database"`
}

// Uptime is the scheduled uptime of a non-production environment.
type Uptime struct {
	Days []string `json:"days"`
	From string   `json:"from"`
	To   string   `json:"to"`
}

// Tenant is #Tenant.
type Tenant struct {
	Name         string                        `json:"name"`
	Brand        string                        `json:"brand"`
	Description  string                        `json:"description,omitempty"`
	Contacts     Contacts                      `json:"contacts"`
	Tier         string                        `json:"tier"`
	Segment      string                        `json:"segment,omitempty"`
	TimeZone     string                        `json:"timeZone"`
	Environments map[string]*TenantEnvironment `json:"environments"`
	Odoo         Odoo                          `json:"odoo"`
	Integrations map[string]Integration        `json:"integrations"`
	Calendar     map[string]Window             `json:"calendar"`
	Waivers      map[string]Waiver             `json:"waivers"`

	// File is the tenant's file, relative to the estate root.
	File string `json:"-"`
}

// Contacts of a tenant.
type Contacts struct {
	Owner      Contact  `json:"owner"`
	Technical  *Contact `json:"technical,omitempty"`
	Escalation *Contact `json:"escalation,omitempty"`
}

// Contact is #Contact.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// TenantEnvironment is #TenantEnvironment.
type TenantEnvironment struct {
	Class       string               `json:"class"`
	Placement   Placement            `json:"placement"`
	Standby     *Placement           `json:"standby,omitempty"`
	Domains     []string             `json:"domains"`
	Image       string               `json:"image,omitempty"`
	Replicas    map[string]int       `json:"replicas,omitempty"`
	Autoscaling *AutoscalingOverride `json:"autoscaling,omitempty"`
}

// Placement is a region and cluster.
type Placement struct {
	Region  string `json:"region"`
	Cluster string `json:"cluster"`
}

// AutoscalingOverride narrows a tier's autoscaling bounds.
type AutoscalingOverride struct {
	MaxReplicas map[string]int `json:"maxReplicas,omitempty"`
}

// Odoo is the tenant's Odoo deployment.
type Odoo struct {
	Version   string                      `json:"version"`
	Edition   string                      `json:"edition"`
	Image     string                      `json:"image"`
	Modules   []string                    `json:"modules"`
	Workloads map[string]WorkloadOverride `json:"workloads"`
}

// WorkloadOverride sets resources and Odoo worker processes of one workload
// class.
type WorkloadOverride struct {
	Resources *Resources `json:"resources,omitempty"`
	Workers   *int       `json:"workers,omitempty"`
}

// Integration is #Integration.
type Integration struct {
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Vendor    string     `json:"vendor"`
	Schedule  string     `json:"schedule,omitempty"`
	Critical  bool       `json:"critical"`
	Endpoints []Endpoint `json:"endpoints"`
}

// Endpoint is one host an integration talks to.
type Endpoint struct {
	Host string `json:"host"`
	CIDR string `json:"cidr"`
	Port int    `json:"port"`
}

// Window kinds.
const (
	KindPromotion       = "promotion"
	KindFinancialClose  = "financial-close"
	KindStockCount      = "stock-count"
	KindWarehouseCutoff = "warehouse-cutoff"
	KindMaintenance     = "maintenance"
)

// Scope levels of windows.
const (
	ScopePlatform = "platform"
	ScopeTier     = "tier"
	ScopeSegment  = "segment"
	ScopeTenant   = "tenant"
)

// Window is #Window. Exactly one of Fixed, Yearly, Monthly, Weekly and RRule
// is set.
type Window struct {
	Name        string       `json:"name"`
	Kind        string       `json:"kind"`
	Description string       `json:"description,omitempty"`
	TimeZone    string       `json:"timeZone,omitempty"`
	Scope       WindowScope  `json:"scope"`
	Fixed       *FixedRange  `json:"fixed,omitempty"`
	Yearly      *YearlyRule  `json:"yearly,omitempty"`
	Monthly     *MonthlyRule `json:"monthly,omitempty"`
	Weekly      *WeeklyRule  `json:"weekly,omitempty"`
	RRule       *RRule       `json:"rrule,omitempty"`

	// File is where the window is defined, relative to the estate root.
	File string `json:"-"`
}

// WindowScope says whom a window applies to.
type WindowScope struct {
	Level string `json:"level"`
	Name  string `json:"name,omitempty"`
}

// FixedRange is one range of local date-times.
type FixedRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// YearlyRule recurs yearly between two month-days.
type YearlyRule struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// MonthlyRule recurs monthly.
type MonthlyRule struct {
	LastBusinessDays  int   `json:"lastBusinessDays"`
	FirstBusinessDays int   `json:"firstBusinessDays"`
	Days              []int `json:"days,omitempty"`
}

// WeeklyRule recurs weekly.
type WeeklyRule struct {
	Days []string `json:"days"`
	From string   `json:"from"`
	To   string   `json:"to"`
}

// RRule is an RFC 5545 recurrence with a start and a duration.
type RRule struct {
	Rule     string `json:"rule"`
	Start    string `json:"start"`
	Duration string `json:"duration"`
}

// Waiver is #Waiver.
type Waiver struct {
	ID         string      `json:"id"`
	Policy     string      `json:"policy"`
	Scope      WaiverScope `json:"scope"`
	Reason     string      `json:"reason"`
	Ticket     string      `json:"ticket"`
	Approver   string      `json:"approver"`
	Expires    time.Time   `json:"expires"`
	BreakGlass bool        `json:"breakGlass"`
	Signature  string      `json:"signature,omitempty"`
	// NotApproved says why the waiver is not in force though it is
	// otherwise valid: the platform names approvers, and the waiver's
	// approver is not one of them or its signature does not verify
	// (set when the estate is loaded; empty when it is approved).
	NotApproved string `json:"-"`
}

// WaiverScope narrows a waiver within its tenant; a platform waiver's
// within the tenants the platform change reaches.
type WaiverScope struct {
	// Tenant is set on platform waivers only.
	Tenant      string `json:"tenant,omitempty"`
	Environment string `json:"environment,omitempty"`
	Window      string `json:"window,omitempty"`
	Object      string `json:"object,omitempty"`
	Image       string `json:"image,omitempty"`
}
