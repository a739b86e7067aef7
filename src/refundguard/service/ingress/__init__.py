"""What every request passes before the routes: the request gate (authentication before the body, size caps,
slow-body timeouts, tenant upload quotas) and the browser security headers."""
