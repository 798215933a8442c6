package lang

import (
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// go-cty's distinct compares each element with every one kept so far, and
// converting a for expression's tuple to a list or set unifies its element
// types pairwise: over the 10,000 rows of a CSV file, distinct took
// minutes and toset many seconds. The functions here take the common case,
// a collection of strings, in one pass with a Go map, and leave every
// other case to go-cty.

// stringsOf returns the elements of a known tuple, list or set whose
// elements are all known, unmarked, non-null strings; ok is false for
// anything else, and for an empty collection, whose element type go-cty
// decides.
func stringsOf(v cty.Value) (elems []cty.Value, ok bool) {
	ty := v.Type()
	if !v.IsKnown() || v.IsNull() || v.IsMarked() || !(ty.IsTupleType() || ty.IsListType() || ty.IsSetType()) || v.LengthInt() == 0 {
		return nil, false
	}
	elems = make([]cty.Value, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.Type() != cty.String || !e.IsKnown() || e.IsNull() || e.IsMarked() {
			return nil, false
		}
		elems = append(elems, e)
	}
	return elems, true
}

// distinctFunc is distinct, in linear time for strings.
func distinctFunc() function.Function {
	slow := stdlib.DistinctFunc
	return function.New(&function.Spec{
		Description: slow.Description(),
		Params:      []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType, AllowMarked: true}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if _, ok := stringsOf(args[0]); ok && !args[0].Type().IsSetType() {
				return cty.List(cty.String), nil
			}
			return slow.ReturnTypeForValues(asList(args))
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			elems, ok := stringsOf(args[0])
			if !ok || args[0].Type().IsSetType() {
				return slow.Call(asList(args))
			}
			seen := make(map[string]bool, len(elems))
			out := elems[:0:0]
			for _, e := range elems {
				if s := e.AsString(); !seen[s] {
					seen[s] = true
					out = append(out, e)
				}
			}
			return cty.ListVal(out), nil
		},
	})
}

// asList converts the argument to the list go-cty's distinct takes, as
// HCL does before calling a function: Call itself does not convert. What
// does not convert is left for distinct to refuse.
func asList(args []cty.Value) []cty.Value {
	v, marks := args[0].Unmark()
	if l, err := convert.Convert(v, cty.List(cty.DynamicPseudoType)); err == nil {
		return []cty.Value{l.WithMarks(marks)}
	}
	return args
}

// toCollectionFunc is tolist or toset (kind is cty.List or cty.Set), in
// linear time for strings.
func toCollectionFunc(kind func(cty.Type) cty.Type) function.Function {
	slow := stdlib.MakeToFunc(kind(cty.DynamicPseudoType))
	return function.New(&function.Spec{
		Description: slow.Description(),
		Params:      []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if _, ok := stringsOf(args[0]); ok {
				return kind(cty.String), nil
			}
			return slow.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			elems, ok := stringsOf(args[0])
			if !ok {
				return slow.Call(args)
			}
			isSet := kind(cty.String).IsSetType()
			if isSet {
				return cty.SetVal(elems), nil
			}
			return cty.ListVal(elems), nil
		},
	})
}
