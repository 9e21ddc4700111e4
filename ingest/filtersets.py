import django_filters as filters

from ingest.choices import BundleStatus
from ingest.models import LogBundle
from registry.models import Asset


class LogBundleFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=BundleStatus.choices)
    asset = filters.ModelChoiceFilter(queryset=Asset.objects.all())
    sha256 = filters.CharFilter(lookup_expr="iexact")
    received_after = filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    collected_after = filters.IsoDateTimeFilter(field_name="collected_at", lookup_expr="gte")
    collected_before = filters.IsoDateTimeFilter(field_name="collected_at", lookup_expr="lt")
    error_code = filters.CharFilter()

    class Meta:
        model = LogBundle
        fields = ["status", "asset", "sha256", "error_code"]
