//go:build !unix

package statemgr

// noFollow is zero where the OS has no O_NOFOLLOW; openNoFollow's Lstat
// check is then what refuses a link.
const noFollow = 0
