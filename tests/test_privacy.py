from idcapture.privacy import mask, mask_address, mask_id_number, mask_name


def test_id_number() -> None:
    assert mask_id_number("630102199001011234") == "630102********1234"
    assert mask_id_number("KAZ110090123105") == "KAZ110*****3105"
    short = mask_id_number("E12345678")
    assert short.count("*") >= 6 and "2345" not in short
    assert mask_id_number("") == "" and mask_id_number(None) == ""


def test_name_and_address() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"
    assert mask_address("北京市东城区景山前街4号") == "北京市********"
    assert mask("张三", "name") == "张*"
