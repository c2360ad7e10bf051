package rbac_test

import (
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/rbac"
)

func TestPasswordHashVerifies(t *testing.T) {
	h, err := rbac.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, "staple") {
		t.Errorf("hash %q is not an argon2id PHC string", h)
	}
	if !rbac.VerifyPassword(h, "correct horse battery staple") {
		t.Error("the right password does not verify")
	}
	if rbac.VerifyPassword(h, "correct horse battery stapler") {
		t.Error("a wrong password verifies")
	}
	h2, _ := rbac.HashPassword("correct horse battery staple")
	if h == h2 {
		t.Error("two hashes of one password are equal; the salt is not random")
	}
	if rbac.VerifyPassword("$argon2id$garbage", "x") {
		t.Error("a malformed hash verifies")
	}
}
