"""The sets of ../shared/corpus (see its INDEX.md), for tests that sweep all of them."""

CORPUS_SETS = (
    "dmidecode-linuxhw-DMI",
    "dmidecode-netbox-agent",
    "ironlib-fixtures",
    "nvme-smartctl-netdata",
    "rackhd-on-tasks-samples",
    "ralph-legacy-samples",
    "redfish-bmclib-fragments",
    "redfish-dmtf-dsp2043",
    "redfish-hms-smd",
    "redfish-hpe-ilo-emulator",
    "redfish-redfish_ctl-supermicro",
    "smartctl-json-libblockdev",
    "smartctl-json-scrutiny",
)
