"""Workflows, instances and approvals as clients see them (API responses and event data)."""


def workflow_payload(w) -> dict:
    return {
        "id": w.id,
        "name": w.name,
        "description": w.description,
        "status": w.status,
        "steps": w.steps,
        "contract_types": w.contract_types,
        "min_value": float(w.min_value) if w.min_value is not None else None,
        "max_value": float(w.max_value) if w.max_value is not None else None,
        "created_by": w.created_by_id,
        "created_at": w.created_at,
        "updated_at": w.updated_at,
    }


def instance_payload(i) -> dict:
    return {
        "id": i.id,
        "workflow": i.workflow_id,
        "contract_id": i.contract_id,
        "status": i.status,
        "current_step": i.current_step,
        "steps_completed": i.steps_completed,
        "total_steps": i.total_steps,
        "resolution_due_at": i.resolution_due_at,
        "completed_at": i.completed_at,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    }


def approval_payload(a) -> dict:
    """`assigned_to` is the assigned user's id; role assignments show `assigned_role` instead."""
    return {
        "id": a.id,
        "contract_id": a.contract_id,
        "workflow_instance_id": a.instance_id,
        "step_number": a.step_number,
        "step_name": a.step_name,
        "status": a.status,
        "assigned_to": a.assigned_user_id,
        "assigned_role": a.assigned_role or None,
        "assigned_by": a.assigned_by_id,
        "due_date": a.due_at.date() if a.due_at else None,
        "due_at": a.due_at,
        "comments": a.comments,
        "decided_by": a.decided_by_id,
        "decided_at": a.decided_at,
        "approved_at": a.approved_at,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }
