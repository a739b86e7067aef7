"""The claim service: HTTP API, storage, workflow, jobs, audit chain and webhooks.

Domain folders (``auth/``, ``claims/``, ``evidence/``, ``audit/``, ``webhooks/``) each hold models,
schemas, a service module (functions taking ``session=`` that flush and never commit) and routes.
Routes commit once per request; every state change records an audit entry in the same transaction.
"""
