"""The mobile-banking functions the assistant reaches: key | Chinese names | English names | slots | flags.

Flags: ``m`` = money moves (spoken confirmation required). Slots: a=amount p=payee c=account d=date.
"""

CATALOGUE_TEXT = """
transfer.to_person|转账;转钱;汇款|transfer money;send money|apcd|m
transfer.to_card|转账到银行卡;转到卡上|transfer to a card;send money to a card|apc|m
transfer.by_phone|手机号转账;按手机号转钱|transfer by phone number;send money by mobile number|ap|m
transfer.cross_border|跨境汇款;境外汇款|cross border remittance;overseas transfer|ap|m
transfer.scheduled|预约转账;定时转账|scheduled transfer;future dated transfer|apd|m
transfer.recurring|周期转账;定期转账|recurring transfer;standing order|apd|m
transfer.history|转账记录;转账明细|transfer history;transfer records|d|
transfer.payees|收款人名册;常用收款人|payee list;saved payees||
transfer.add_payee|添加收款人;新增收款人|add a payee;new payee|p|
transfer.delete_payee|删除收款人;移除收款人|delete a payee;remove payee|p|
transfer.limits|转账限额;调整转账额度|transfer limit;change transfer limit|a|
transfer.between_own|本人账户互转;自己账户之间转账|move money between my accounts;own account transfer|ac|m
transfer.hk_macau|港澳转账;转账到香港|transfer to hong kong;hong kong macau transfer|ap|m
transfer.receipt|转账回单;电子回单|transfer receipt;payment receipt|d|
account.balance|查余额;余额查询;账户余额|check balance;account balance;how much money do i have|c|
account.statement|账户明细;交易明细;流水|account statement;transaction details|cd|
account.overview|我的账户;账户总览|my accounts;account overview||
account.open_second|开立二类户;开电子账户|open a digital account;open a second account||
account.close|销户;注销账户|close an account;cancel my account|c|
account.freeze|账户冻结;冻结账户|freeze my account;block the account|c|
account.unfreeze|账户解冻;解除冻结|unfreeze my account;unblock the account|c|
account.certificate|存款证明;开资信证明|deposit certificate;proof of funds|c|
account.nickname|账户别名;修改账户名称|account nickname;rename account|c|
account.hide|隐藏账户;隐藏卡片|hide an account;hide a card|c|
account.income_expense|收支分析;收支统计|income and spending analysis;spending summary|d|
account.export|导出明细;下载流水|export statement;download transactions|cd|
card.activate|激活卡片;开卡|activate my card;card activation|c|
card.lost|挂失;卡丢了;银行卡挂失|report a lost card;lost card|c|
card.replace|补办卡;换卡|replace my card;card replacement|c|
card.pin_change|修改密码;改交易密码|change pin;change my password|c|
card.pin_reset|重置密码;忘记密码|reset pin;forgot my password|c|
card.limit|卡片限额;设置卡限额|card limit;set card limit|ac|
card.bind|绑定银行卡;添加银行卡|link a bank card;add a card|c|
card.unbind|解绑银行卡;删除银行卡|unlink a card;remove a card|c|
card.virtual|虚拟卡;申请虚拟卡|virtual card;get a virtual card||
card.overseas|境外用卡;开通境外交易|use card abroad;enable overseas payments|c|
card.contactless|闪付开关;小额免密|contactless payments;tap to pay settings|c|
card.sscard|社保卡;社保卡金融功能|social security card;social card services||
card.sscard_ecard|电子社保卡;领取电子社保卡|electronic social security card;digital social card||
card.medical_pay|医保支付;医保码|medical insurance payment;health insurance code||
credit.bill|信用卡账单;本期账单|credit card bill;this month bill|cd|
credit.repay|信用卡还款;还信用卡|pay credit card;repay credit card|acd|m
credit.autorepay|自动还款;设置自动还款|automatic repayment;set up auto pay|c|
credit.installment|账单分期;分期付款|bill installments;pay in installments|ac|
credit.cash_advance|信用卡取现;预借现金|cash advance;credit card cash withdrawal|ac|m
credit.limit_raise|提额;提高信用额度|raise my credit limit;increase credit line|c|
credit.limit_query|信用额度;查额度|credit limit;available credit|c|
credit.temp_limit|临时额度;申请临时额度|temporary limit;temporary credit increase|c|
credit.apply|办信用卡;申请信用卡|apply for a credit card;get a credit card||
credit.progress|办卡进度;申请进度|application progress;card application status||
credit.points|积分;信用卡积分|reward points;my points||
credit.points_mall|积分商城;积分兑换|points mall;redeem points||
credit.annual_fee|年费;年费查询|annual fee;card fee||
credit.unposted|未出账单;未出账交易|unbilled transactions;pending transactions|c|
credit.dispute|交易争议;账单有误|dispute a transaction;wrong charge|d|
deposit.time|定期存款;存定期|time deposit;fixed deposit|acd|m
deposit.demand|活期存款;活期|demand deposit;current deposit|c|
deposit.large_cd|大额存单;买大额存单|certificate of deposit;large cd|a|m
deposit.notice|通知存款|notice deposit;call deposit|a|m
deposit.withdraw_early|提前支取;定期提前取出|early withdrawal;withdraw deposit early|ac|m
deposit.rates|存款利率;利率查询|deposit rates;interest rates||
deposit.maturity|到期提醒;存款到期|deposit maturity;maturity reminder|d|
deposit.smart|智能存款;智能存|smart deposit;smart savings|a|m
wealth.products|理财产品;买理财|wealth products;investment products||
wealth.buy|购买理财;认购理财|buy an investment product;subscribe wealth product|a|m
wealth.redeem|赎回理财;理财赎回|redeem an investment;sell wealth product|a|m
wealth.holdings|我的持仓;理财持仓|my holdings;my investments||
wealth.funds|基金;买基金|funds;buy funds|a|m
wealth.fund_sip|基金定投;定投|fund regular investment;systematic investment plan|ad|m
wealth.gold|黄金;积存金|gold;gold savings|a|m
wealth.forex|外汇;外汇买卖|foreign exchange;buy foreign currency|a|m
wealth.fx_rates|汇率;查汇率|exchange rates;currency rates||
wealth.bonds|国债;买国债|government bonds;treasury bonds|a|m
wealth.insurance|保险;买保险|insurance;buy insurance||
wealth.pension|养老金;个人养老金|pension;personal pension account||
wealth.risk_test|风险测评;风险评估|risk assessment;risk questionnaire||
wealth.income|理财收益;昨日收益|investment returns;yesterday earnings|d|
wealth.cash_mgmt|现金管理;零钱理财|cash management;spare cash investment|a|m
loan.apply|申请贷款;贷款|apply for a loan;get a loan|a|
loan.repay|还贷款;贷款还款|repay my loan;loan repayment|ad|m
loan.schedule|还款计划;还款日|repayment schedule;loan due date||
loan.mortgage|房贷;住房贷款|mortgage;home loan||
loan.car|车贷;汽车贷款|car loan;auto loan||
loan.consumer|消费贷;消费贷款|consumer loan;personal loan|a|
loan.business|经营贷;小微企业贷款|business loan;small business loan|a|
loan.prepay|提前还款;提前还贷|prepay my loan;early loan repayment|a|m
loan.limit|贷款额度;可贷额度|loan limit;how much can i borrow||
loan.contract|贷款合同;借款合同|loan contract;loan agreement||
loan.interest|贷款利率;贷款利息|loan interest rate;loan interest||
pay.qr_code|付款码;收付款|payment code;pay with qr code||
pay.scan|扫一扫;扫码|scan a code;scan to pay||
pay.receive|收款码;收钱|receive money;collection code||
pay.utilities|生活缴费;缴费|pay bills;utility payments|a|m
pay.electricity|交电费;电费|pay electricity bill;electricity|ac|m
pay.water|交水费;水费|pay water bill;water bill|ac|m
pay.gas|交燃气费;燃气费|pay gas bill;gas bill|ac|m
pay.phone_topup|话费充值;充话费|top up my phone;mobile top up|ap|m
pay.broadband|宽带缴费;交网费|pay broadband;internet bill|a|m
pay.property|物业费;交物业费|property fee;pay property management|a|m
pay.tv|有线电视费;电视费|cable tv bill;tv fee|a|m
pay.traffic_fine|交通罚款;交罚单|traffic fine;pay a ticket|a|m
pay.tuition|学费;缴学费|tuition fee;pay school fees|a|m
pay.social_insurance|社保缴费;交社保|pay social insurance;social insurance contribution|a|m
pay.medical_insurance|医保缴费;交医保|pay medical insurance;health insurance contribution|a|m
pay.tax|缴税;个税缴纳|pay tax;tax payment|a|m
pay.etc|ETC充值;高速通行费|etc top up;toll payment|a|m
pay.transit|乘车码;公交地铁|transit code;bus and metro||
pay.auto_debit|代扣管理;自动缴费|direct debit;automatic bill payment||
pay.history|缴费记录;缴费历史|bill payment history;payment records|d|
life.bookkeeping|记账;语音记账|bookkeeping;voice bookkeeping|ad|
life.bookkeeping_report|账本;记账报表|my ledger;bookkeeping report|d|
life.budget|预算;设置预算|budget;set a budget|a|
life.hospital|预约挂号;医院挂号|book a doctor;hospital appointment|d|
life.movie|电影票;买电影票|movie tickets;buy cinema tickets|d|
life.train|火车票;高铁票|train tickets;high speed rail tickets|d|
life.flight|机票;订机票|flight tickets;book a flight|d|
life.hotel|酒店;订酒店|hotel;book a hotel|d|
life.taxi|打车;叫车|call a taxi;ride hailing||
life.food|外卖;点外卖|food delivery;order food||
life.shopping|商城;购物|shopping mall;online shopping||
life.coupons|优惠券;我的券|coupons;my vouchers||
life.offers|优惠活动;活动|special offers;promotions||
life.lottery|福利彩票;彩票|lottery;welfare lottery||
life.donation|公益捐款;捐款|charity donation;donate|ap|m
life.red_packet|红包;发红包|red packet;send a red envelope|ap|m
life.aa|AA收款;AA制|split the bill;aa payment|a|
life.housing_fund|公积金;公积金查询|housing provident fund;provident fund balance||
life.pension_query|养老金查询;退休金|pension query;retirement pay||
life.government|政务服务;办事|government services;public services||
life.weather|天气;天气预报|weather;weather forecast|d|
life.news|新闻;财经新闻|news;financial news||
security.center|安全中心;账户安全|security center;account security||
security.login_password|登录密码;修改登录密码|login password;change login password||
security.gesture|手势密码;设置手势|gesture password;pattern lock||
security.fingerprint|指纹登录;指纹支付|fingerprint login;fingerprint payment||
security.face|刷脸;人脸识别|face recognition;face login||
security.voiceprint|声纹;声纹验证|voiceprint;voice verification||
security.devices|设备管理;登录设备|device management;trusted devices||
security.ukey|U盾;数字证书|usb key;digital certificate||
security.sms_alerts|短信通知;动账提醒|sms alerts;transaction alerts|c|
security.fraud_report|举报诈骗;防诈骗|report fraud;anti fraud|d|
security.limits|支付限额;支付额度|payment limit;payment quota|a|
security.phone_change|更换手机号;修改手机号|change phone number;update mobile number||
profile.info|个人信息;我的资料|personal information;my profile||
profile.address|地址;修改地址|address;change address||
profile.id_update|身份证更新;证件更新|update id card;id renewal||
profile.tax_residency|税收居民身份;税务声明|tax residency;tax declaration||
profile.messages|消息中心;我的消息|message center;my messages||
profile.settings|设置;系统设置|settings;app settings||
profile.font|大字版;字体大小|large font mode;text size||
profile.elder_mode|长辈版;关怀模式|senior mode;elder care mode||
profile.accessibility|无障碍;读屏模式|accessibility;screen reader mode||
profile.language|语言;切换语言|language;switch language||
profile.logout|退出登录;注销登录|log out;sign out||
service.branch|网点;附近网点|branch locator;nearby branch||
service.atm|取款机;附近ATM|atm locator;nearby atm||
service.queue|网点排队;预约取号|branch queue;book a queue number|d|
service.cash_appointment|预约取现;大额取现预约|cash withdrawal appointment;book a cash withdrawal|ad|
service.cardless_withdraw|无卡取款;手机取款|cardless withdrawal;withdraw without card|a|m
service.customer_service|客服;人工客服|customer service;talk to an agent||
service.complaint|投诉;我要投诉|complaint;file a complaint||
service.feedback|意见反馈;反馈|feedback;give feedback||
service.faq|常见问题;帮助|faq;help||
service.video_teller|视频柜员;远程视频|video teller;video banking||
service.invoice|发票;开发票|invoice;request an invoice|d|
service.calculator|计算器;贷款计算器|calculator;loan calculator||
service.hk_macau|粤港澳服务;跨境服务|greater bay area services;cross border services||
biz.payroll|代发工资;工资|payroll;salary payment||
biz.salary_advance|工资预支;薪资预支|salary advance;advance on wages|a|m
merchant.receipts|商户收款;收款记录|merchant collections;sales receipts|d|
merchant.settlement|商户结算;结算记录|merchant settlement;settlement records|d|
fx.cash_exchange|外币兑换;换外币|exchange cash;foreign cash exchange|a|m
fx.purchase|购汇;买美元|buy dollars;currency purchase|a|m
fx.settle|结汇;卖外汇|sell foreign currency;currency settlement|a|m
fx.remit_history|汇款记录;汇款查询|remittance history;remittance status|d|
voice.help|你能做什么;语音助手帮助|what can you do;assistant help||
voice.repeat_settings|语速;说慢一点|speech speed;speak slower||
family.account|亲情账户;家庭账户|family account;family card||
family.allowance|给父母转生活费;赡养费|send allowance to parents;family allowance|ap|m
child.pocket_money|零花钱;给孩子零花钱|pocket money;kids allowance|ap|m
loan.overdue|逾期查询;逾期记录|overdue payments;late payment status||
pay.parking|停车费;交停车费|parking fee;pay for parking|a|m
life.charging|充电桩;电车充电|ev charging;charging station||
security.app_lock|应用锁;锁定应用|app lock;lock the app||
service.cancel_booking|取消预约;撤销预约|cancel appointment;cancel my booking|d|
"""
