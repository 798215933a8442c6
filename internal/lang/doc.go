// Package lang evaluates a configuration: it reads the files through package
// configs, resolves input variables, evaluates every expression in a scope
// built for its block, checks the evaluated values (phone numbers, refs,
// HTML, callback URLs, duplicate keys, cycles) and returns a Result of
// plain deliveries that the plan engine consumes.
//
// It does no I/O beyond reading the configuration folder, variable files,
// file() arguments and the environment, and it must stay deterministic: the
// same inputs evaluate to the same Result at plan and at apply, which is why
// the function table leaves out timestamp, uuid and the like.
package lang
