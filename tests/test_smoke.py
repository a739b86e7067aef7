from refundguard.checks.registry import registered


def test_registry_orders_checks_and_names_are_unique():
    names = [c.name for c in registered()]
    assert len(names) == len(set(names))


def test_every_check_module_imports():
    from refundguard.checks.registry import IMPORT_ERRORS

    registered()
    assert IMPORT_ERRORS == {}
