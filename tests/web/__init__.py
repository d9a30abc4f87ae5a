"""web tests"""
