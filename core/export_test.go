package core

// WalkObject exposes the strict JSON walker to the external fuzz test.
var WalkObject = walkObject

// PublicClaims exposes the claims decoder to the external fuzz test.
var PublicClaims = publicClaims
