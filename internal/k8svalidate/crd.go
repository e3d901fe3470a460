package k8svalidate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// crdInfo describes one loaded CRD.
type crdInfo struct {
	name     string
	versions []string // served versions
}

// crdVersion holds the compiled schema of one served CRD version.
type crdVersion struct {
	crd               *crdInfo
	namespaced        bool
	statusSubresource bool
	structural        *structuralschema.Structural
	schemaValidator   apiservervalidation.SchemaValidator

	celOnce      sync.Once // CEL rules are compiled on first use
	celValidator *cel.Validator
}

// addCRD compiles the served versions of the CRD in d.
func (v *Validator) addCRD(d *document) error {
	if d.head.APIVersion != crdGroup+"/v1" || d.head.Kind != crdKind {
		return fmt.Errorf("reading CRDs: %s: not an %s/v1 %s", d.describe(), crdGroup, crdKind)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	strictErrs, err := kjson.UnmarshalStrict(d.json, &crd)
	if err == nil {
		err = errors.Join(strictErrs...)
	}
	if err != nil {
		return fmt.Errorf("reading CRD %s: %w", d.head.Metadata.Name, err)
	}
	gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
	if gk.Group == "" || gk.Kind == "" {
		return fmt.Errorf("reading CRD %s: spec.group and spec.names.kind are required", crd.Name)
	}
	if prev, ok := v.crdKinds[gk]; ok {
		return fmt.Errorf("reading CRD %s: %s is already defined by CRD %s", crd.Name, gk, prev.name)
	}
	info := &crdInfo{name: crd.Name}
	for _, ver := range crd.Spec.Versions {
		if !ver.Served {
			continue
		}
		cv, err := compileVersion(&crd, &ver)
		if err != nil {
			return fmt.Errorf("reading CRD %s version %s: %w", crd.Name, ver.Name, err)
		}
		cv.crd = info
		info.versions = append(info.versions, ver.Name)
		v.crds[gk.WithVersion(ver.Name)] = cv
	}
	v.crdKinds[gk] = info
	return nil
}

// compileVersion prepares the schema of one CRD version the way the API
// server does (customresource_handler.go).
func compileVersion(crd *apiextensionsv1.CustomResourceDefinition, ver *apiextensionsv1.CustomResourceDefinitionVersion) (*crdVersion, error) {
	if crd.Spec.PreserveUnknownFields {
		return nil, errors.New("spec.preserveUnknownFields is not supported")
	}
	if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
		return nil, errors.New("no openAPIV3Schema")
	}
	var internal apiextensions.CustomResourceValidation
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(ver.Schema, &internal, nil); err != nil {
		return nil, fmt.Errorf("converting schema to internal version: %w", err)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building structural schema: %w", err)
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("pruning defaults: %w", err)
	}
	sv, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building schema validator: %w", err)
	}
	return &crdVersion{
		namespaced:        crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		statusSubresource: ver.Subresources != nil && ver.Subresources.Status != nil,
		structural:        s,
		schemaValidator:   sv,
	}, nil
}

// validate checks a custom resource: decoding, unknown fields, defaulting,
// metadata, OpenAPI schema, list types and CEL rules, in the order of a
// create request with fieldValidation=Strict.
func (cv *crdVersion) validate(ctx context.Context, d *document) []error {
	var errs []error
	unknown := func(paths []string) {
		for _, p := range paths {
			errs = append(errs, fmt.Errorf("%s: unknown field", p))
		}
	}

	// Decode with int64 numbers, as the API server does. Duplicate keys are
	// an error (strict decoding) but do not stop the validation.
	data, err := yaml.YAMLToJSONStrict(d.raw)
	if err != nil {
		errs = append(errs, errors.New(strings.Join(strings.Fields(err.Error()), " ")))
		data = d.json
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		return append(errs, fmt.Errorf("decoding: %w", err))
	}
	obj := u.Object

	objectMeta, _, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(obj,
		schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return append(errs, fmt.Errorf("metadata: %w", err))
	}
	unknown(metaUnknown)
	if objectMeta == nil {
		return append(errs, errors.New("metadata: Required value"))
	}

	// With a status subresource the API server drops status on create.
	if cv.statusSubresource {
		delete(obj, "status")
	}
	unknown(structuralpruning.PruneWithOptions(obj, cv.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}))
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, cv.structural)
	if fe, paths := schemaobjectmeta.CoerceWithOptions(nil, obj, cv.structural, false,
		schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true}); fe != nil {
		errs = append(errs, fieldError{fe})
	} else {
		unknown(paths)
	}
	structuraldefaulting.Default(obj, cv.structural)

	var fieldErrs field.ErrorList
	requiresNamespace := cv.namespaced && objectMeta.Namespace != ""
	if !cv.namespaced && objectMeta.Namespace != "" {
		fieldErrs = append(fieldErrs, field.Forbidden(field.NewPath("metadata", "namespace"),
			"not allowed on a cluster-scoped resource"))
		objectMeta.Namespace = ""
	}
	fieldErrs = append(fieldErrs, apivalidation.ValidateObjectMetaAccessor(objectMeta, requiresNamespace,
		apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	fieldErrs = append(fieldErrs, apiservervalidation.ValidateCustomResource(nil, obj, cv.schemaValidator)...)
	fieldErrs = append(fieldErrs, schemaobjectmeta.Validate(ctx, nil, obj, cv.structural, false)...)
	fieldErrs = append(fieldErrs, structurallisttype.ValidateListSetsAndMaps(nil, cv.structural, obj)...)

	cv.celOnce.Do(func() {
		cv.celValidator = cel.NewValidator(cv.structural, true, celconfig.PerCallLimit)
	})
	celSkipped := false
	if cv.celValidator != nil {
		if blocking(fieldErrs) {
			celSkipped = true
		} else {
			celErrs, _ := cv.celValidator.Validate(ctx, nil, cv.structural, obj, nil, celconfig.RuntimeCELCostBudget)
			fieldErrs = append(fieldErrs, celErrs...)
		}
	}
	errs = append(errs, fieldErrorList(fieldErrs)...)
	if celSkipped {
		errs = append(errs, errors.New("x-kubernetes-validations rules not checked: fix the errors above first"))
	}
	return errs
}

// blocking reports whether errs hold an error that stops the API server from
// evaluating CEL rules (customresource.hasBlockingErr): the rules may assume
// what the schema guarantees.
func blocking(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong,
			field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
