"""The app's error pages (web_errors): Chinese HTML for pages, JSON for the dashboard's calls."""

from __future__ import annotations

from web_errors import CSRF_FAILED


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在。" in response.get_data(as_text=True)


def test_wrong_method_is_a_chinese_405(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert "不支持的请求方式。" in response.get_data(as_text=True)


def test_form_without_csrf_token_gets_the_expired_page(client, team):
    response = client.post("/login", data={"username": team.counselor, "password": "x"})
    assert response.status_code == 400
    assert CSRF_FAILED in response.get_data(as_text=True)
    assert response.mimetype == "text/html"
