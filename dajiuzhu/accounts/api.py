"""Accounts API (/api/v1/accounts/): who the caller is and what they may do."""

from ninja import Router, Schema

router = Router(tags=["accounts"])


class AccountsMeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    region_code: str
    region_name: str
    jurisdiction_prefix: str | None
    department: str | None
    permissions: list[str]


@router.get("/me", response=AccountsMeOut, operation_id="accounts_me")
def me(request):
    """The authenticated user, their region and the permission codes of their role."""
    user = request.auth
    return {
        "username": user.get_username(), "display_name": user.display_name, "role": user.role,
        "role_label": str(user.get_role_display()), "region_code": user.region_id or "",
        "region_name": user.region.name if user.region_id else "", "jurisdiction_prefix": user.jurisdiction_prefix,
        "department": user.department.code if user.department_id else None,
        "permissions": sorted(user.permission_codes),
    }
