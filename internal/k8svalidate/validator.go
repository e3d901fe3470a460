package k8svalidate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validator checks rendered manifests. It is safe for concurrent use.
type Validator struct {
	scheme  *runtime.Scheme
	decoder runtime.Decoder
	crds    map[schema.GroupVersionKind]*crdVersion
	// crdKinds maps group/kind to the CRD name, to detect duplicates and to
	// name the served versions in errors.
	crdKinds map[schema.GroupKind]*crdInfo
}

// builtinGroupVersions are the built-in API group versions the scheme holds.
var builtinGroupVersions = []struct {
	gv  schema.GroupVersion
	add func(*runtime.Scheme) error
}{
	{corev1.SchemeGroupVersion, corev1.AddToScheme},
	{appsv1.SchemeGroupVersion, appsv1.AddToScheme},
	{batchv1.SchemeGroupVersion, batchv1.AddToScheme},
	{networkingv1.SchemeGroupVersion, networkingv1.AddToScheme},
	{policyv1.SchemeGroupVersion, policyv1.AddToScheme},
	{autoscalingv2.SchemeGroupVersion, autoscalingv2.AddToScheme},
	{rbacv1.SchemeGroupVersion, rbacv1.AddToScheme},
}

// New returns a Validator for the built-in kinds and the custom resources
// defined by crds. Each element of crds is YAML or JSON holding one or more
// apiextensions.k8s.io/v1 CustomResourceDefinitions; empty documents are
// ignored and anything else is an error, as is a group/kind defined twice.
func New(crds [][]byte) (*Validator, error) {
	scheme := runtime.NewScheme()
	for _, b := range builtinGroupVersions {
		if err := b.add(scheme); err != nil {
			return nil, fmt.Errorf("registering %s: %w", b.gv, err)
		}
	}
	v := &Validator{
		scheme: scheme,
		decoder: json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
			json.SerializerOptions{Yaml: true, Strict: true}),
		crds:     map[schema.GroupVersionKind]*crdVersion{},
		crdKinds: map[schema.GroupKind]*crdInfo{},
	}
	for i, data := range crds {
		docs, err := splitDocuments(data)
		if err != nil {
			return nil, fmt.Errorf("reading CRD source %d: %w", i+1, err)
		}
		for _, d := range docs {
			if d.err != nil {
				return nil, fmt.Errorf("reading CRD source %d: %s: %w", i+1, d.describe(), d.err)
			}
			if err := v.addCRD(&d); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// Validate checks every document of a multi-document YAML stream and returns
// one error per problem, each naming the object (apiVersion, kind and
// namespace/name) and, where there is one, the field path. It returns nil if
// every object is valid. Documents holding only comments are ignored.
func (v *Validator) Validate(manifest []byte) []error {
	docs, err := splitDocuments(manifest)
	var errs []error
	for i := range docs {
		errs = append(errs, v.validateDocument(&docs[i])...)
	}
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

func (v *Validator) validateDocument(d *document) []error {
	objErr := func(err error) error {
		return fmt.Errorf("validating %s: %w", d.describe(), err)
	}
	if d.err != nil {
		return []error{objErr(d.err)}
	}
	if d.head.APIVersion == "" || d.head.Kind == "" {
		return []error{objErr(errors.New("apiVersion and kind are required"))}
	}
	gv, err := schema.ParseGroupVersion(d.head.APIVersion)
	if err != nil {
		return []error{objErr(err)}
	}
	gvk := gv.WithKind(d.head.Kind)

	var errs []error
	switch crd, isCR := v.crds[gvk]; {
	case isCR:
		errs = crd.validate(context.Background(), d)
	case v.scheme.Recognizes(gvk):
		errs = v.validateBuiltin(d)
	default:
		return []error{objErr(v.noSchema(gvk))}
	}
	for i, err := range errs {
		errs[i] = objErr(err)
	}
	return errs
}

// noSchema explains why gvk has no schema.
func (v *Validator) noSchema(gvk schema.GroupVersionKind) error {
	msg := fmt.Sprintf("no schema for %s/%s", gvk.GroupVersion(), gvk.Kind)
	if info, ok := v.crdKinds[gvk.GroupKind()]; ok {
		return fmt.Errorf("%s: CRD %s serves versions %s", msg, info.name, strings.Join(info.versions, ", "))
	}
	if isBuiltinGroup(gvk.Group) {
		var gvs []string
		for _, b := range builtinGroupVersions {
			gvs = append(gvs, b.gv.String())
		}
		return fmt.Errorf("%s: not a supported built-in kind (supported group versions: %s)", msg, strings.Join(gvs, ", "))
	}
	return errors.New(msg)
}

// isBuiltinGroup reports whether group looks like a Kubernetes built-in
// group: the core group, an unqualified name (apps, batch, ...) or *.k8s.io.
func isBuiltinGroup(group string) bool {
	return group == "" || !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}

// strictFieldError matches the strict decoding errors of sigs.k8s.io/json.
var strictFieldError = regexp.MustCompile(`^(unknown|duplicate) field "(.*)"$`)

// typeError matches the type errors of sigs.k8s.io/json, e.g. "json: cannot
// unmarshal string into Go struct field DeploymentSpec.spec.replicas of type
// int32".
var typeError = regexp.MustCompile(`^json: cannot unmarshal (\S+) into Go struct field [^.\s]*\.(\S+) of type (\S+)$`)

// validateBuiltin strictly decodes d into its k8s.io/api type. A wrongly
// typed value is fatal to the decoder and hides any other problem of the same
// object.
func (v *Validator) validateBuiltin(d *document) []error {
	obj, _, err := v.decoder.Decode(d.raw, nil, nil)
	var errs []error
	if err != nil {
		strict, ok := runtime.AsStrictDecodingError(err)
		if !ok {
			if m := typeError.FindStringSubmatch(err.Error()); m != nil {
				return []error{fmt.Errorf("%s: cannot unmarshal %s into %s", m[2], m[1], m[3])}
			}
			return []error{err}
		}
		for _, e := range strict.Errors() {
			msg := e.Error()
			if m := strictFieldError.FindStringSubmatch(msg); m != nil {
				errs = append(errs, fmt.Errorf("%s: %s field", m[2], m[1]))
			} else {
				errs = append(errs, errors.New(strings.Join(strings.Fields(msg), " ")))
			}
		}
	}
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return append(errs, err)
	}
	// The scope of built-in kinds is not known here: a namespace is checked
	// for format only, and may be absent (it is defaulted at apply time).
	fieldErrs := apivalidation.ValidateObjectMetaAccessor(accessor, accessor.GetNamespace() != "",
		apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(errs, fieldErrorList(fieldErrs)...)
}

// fieldErrorList converts field errors to errors, sorted by field path.
func fieldErrorList(list field.ErrorList) []error {
	sort.SliceStable(list, func(i, j int) bool { return list[i].Field < list[j].Field })
	errs := make([]error, 0, len(list))
	for _, fe := range list {
		errs = append(errs, fieldError{fe})
	}
	return errs
}

// fieldError prints a field error without the "<nil>" of an empty path.
// errors.As reaches the *field.Error.
type fieldError struct{ err *field.Error }

func (e fieldError) Error() string {
	if e.err.Field == "" || e.err.Field == "<nil>" {
		return e.err.ErrorBody()
	}
	return e.err.Error()
}

func (e fieldError) Unwrap() error { return e.err }
