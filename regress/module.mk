UNIT_TESTS += regress/shared/buf_test
