"""browser tests"""
