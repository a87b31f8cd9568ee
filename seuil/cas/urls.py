from django.urls import path

from seuil.cas import views

app_name = "cas"
urlpatterns = [
    path("login", views.login, name="login"),
    path("logout", views.logout, name="logout"),
    path("serviceValidate", views.service_validate, name="service-validate"),
    path("proxyValidate", views.proxy_validate, name="proxy-validate"),
    path("p3/serviceValidate", views.p3_service_validate, name="p3-service-validate"),
    path("p3/proxyValidate", views.p3_proxy_validate, name="p3-proxy-validate"),
    path("proxy", views.proxy, name="proxy"),
]
